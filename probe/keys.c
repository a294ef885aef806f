/* SPDX-License-Identifier: MIT */
/* [probe] keys: roam-probe's table (roam.conf(5) and etc/roam.conf list the same). */
#include "config.h"

static const struct roam_key probe_keys[] = {
	{ .name = "target", .type = ROAM_T_STRING, .def = NULL, .list = true,
	  .help = "IPv4 address or host name to probe; several allowed (198.51.100.180)" },
	{ .name = "count", .type = ROAM_T_INT, .def = "3", .min = 1, .max = 100,
	  .help = "probes per target and pass; one answer means alive" },
	{ .name = "timeout", .type = ROAM_T_INT, .def = "1000", .min = 1, .max = 600000,
	  .help = "milliseconds for the whole pass over all targets" },
	{ .name = "method", .type = ROAM_T_STRING, .def = "auto",
	  .help = "auto, icmp, dgram, tcp or tcp:PORT; auto tries icmp, dgram, then tcp" },
	{ .name = "tcp_port", .type = ROAM_T_INT, .def = "25", .min = 1, .max = 65535,
	  .help = "port that the tcp method connects to" },
	{ .name = "state_dir", .type = ROAM_T_STRING, .def = "/var/lib/roam",
	  .help = "directory of the state files, one per target" },
	{ .name = "interval", .type = ROAM_T_INT, .def = "30", .min = 1, .max = 86400,
	  .help = "seconds between passes with --watch" },
	{ .name = "hysteresis", .type = ROAM_T_INT, .def = "1", .min = 1, .max = 100,
	  .help = "consecutive agreeing passes needed before a stored state changes (--watch)" },
};

const struct roam_section roam_probe_keys = ROAM_SECTION("probe", probe_keys);
