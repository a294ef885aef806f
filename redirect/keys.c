/* SPDX-License-Identifier: MIT */
/* [redirect] keys: roam-redirect's table, also read by roam-probe --watch
 * (it refreshes state files before half of max_age has passed). */
#include "config.h"

static const struct roam_key redirect_keys[] = {
	{ .name = "target", .type = ROAM_T_IPV4, .def = NULL,
	  .help = "the exported address whose state decides (198.51.100.180)" },
	{ .name = "alive", .type = ROAM_T_STRING, .def = NULL,
	  .help = "recipient printed when the target is alive (user@laptop)" },
	{ .name = "away", .type = ROAM_T_STRING, .def = NULL,
	  .help = "recipient printed otherwise; default $LOGNAME, then the running user's name" },
	{ .name = "recipients", .type = ROAM_T_STRING, .def = NULL,
	  .help = "a file of RECIPIENT TARGET ALIVE_DESTINATION lines; unset: target and alive are one row for everyone" },
	{ .name = "max_age", .type = ROAM_T_INT, .def = "120", .min = 1, .max = 86400,
	  .help = "seconds a state file stays fresh" },
	{ .name = "deadline", .type = ROAM_T_INT, .def = "500", .min = 1, .max = 60000,
	  .help = "milliseconds allowed for an own probe when the state is stale or missing" },
	{ .name = "method", .type = ROAM_T_STRING, .def = "auto",
	  .help = "own probe: auto (dgram, then tcp:25), dgram, tcp or tcp:PORT; never icmp" },
	{ .name = "state_dir", .type = ROAM_T_STRING, .def = "/var/lib/roam",
	  .help = "where roam-probe keeps its state files" },
	{ .name = "loop_header", .type = ROAM_T_STRING, .def = NULL,
	  .help = "a header line (X-Loop: roam@example.net) that marks mail not to forward" },
	{ .name = "skip_from", .type = ROAM_T_STRING, .def = NULL, .list = true,
	  .help = "senders whose mail is never forwarded" },
	{ .name = "read_timeout", .type = ROAM_T_INT, .def = "30000", .min = 1, .max = 3600000,	/* REDIRECT_READ_TIMEOUT_MS */
	  .help = "milliseconds the whole run may take reading the message; then the answer is printed" },
	{ .name = "socket", .type = ROAM_T_STRING, .def = "/run/roam/redirect.sock",
	  .help = "roam-redirectd: the unix socket Postfix's socketmap connects to" },
	{ .name = "socket_group", .type = ROAM_T_STRING, .def = "postfix",
	  .help = "roam-redirectd: the group that may connect to the socket (mode 0660)" },
	{ .name = "listen", .type = ROAM_T_STRING, .def = NULL,
	  .help = "roam-redirectd: also listen on ADDR:PORT over TCP (loopback or a private LAN only)" },
	{ .name = "max_connections", .type = ROAM_T_INT, .def = "256", .min = 1, .max = 65536,
	  .help = "roam-redirectd: clients at once; one more closes the idlest" },
	{ .name = "max_size", .type = ROAM_T_INT, .def = "0", .min = 0, .max = 2147483647,
	  .help = "bytes above which a message is never forwarded; 0: no limit" },
};

const struct roam_section roam_redirect_keys = ROAM_SECTION("redirect", redirect_keys);
