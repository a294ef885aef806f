/* SPDX-License-Identifier: MIT */
/* [tunnel] keys: roam-tunnel's table. Role-dependent checks (which keys each
 * role needs) are in tunnel/cfg.c, after the file has been read. */
#include "config.h"

static const struct roam_key tunnel_keys[] = {
	{ .name = "role", .type = ROAM_T_ENUM, .def = NULL, .choices = "gateway|mobile",
	  .help = "gateway (home side, answers for the exported address) or mobile (the laptop)" },
	{ .name = "name", .type = ROAM_T_STRING, .def = "tunl1",
	  .help = "name of the ipip link" },
	{ .name = "local", .type = ROAM_T_IPV4, .def = "auto", .choices = "auto",
	  .help = "own outer address; auto: the address of the uplink toward the default router" },
	{ .name = "remote", .type = ROAM_T_IPV4, .def = NULL,
	  .help = "the other side's outer address (gateway: the mobile's first address; registration replaces it)" },
	{ .name = "inner_local", .type = ROAM_T_IPV4, .def = NULL,
	  .help = "own inner address on the tunnel (192.0.2.10 on the gateway)" },
	{ .name = "inner_remote", .type = ROAM_T_IPV4, .def = NULL,
	  .help = "the other side's inner address, the peer of inner_local" },
	{ .name = "exported", .type = ROAM_T_IPV4, .def = NULL,
	  .help = "the home address that lives on the mobile (198.51.100.180)" },
	{ .name = "lan_dev", .type = ROAM_T_STRING, .def = NULL,
	  .help = "gateway: the home LAN device where proxy ARP answers for exported" },
	{ .name = "table", .type = ROAM_T_INT, .def = "200", .min = 1, .max = 4294967294L,
	  .help = "mobile: routing table for traffic that leaves through the tunnel" },
	{ .name = "priority", .type = ROAM_T_INT, .def = "1000", .min = 1, .max = 32000,
	  .help = "mobile: priority of the first rule; further rules take the next numbers" },
	{ .name = "home_net", .type = ROAM_T_PREFIX, .def = NULL,
	  .help = "mobile: route this whole prefix through the tunnel with source exported" },
	{ .name = "ports", .type = ROAM_T_STRING, .def = NULL, .list = true,
	  .help = "mobile: PROTO/PORT list (tcp/25) whose traffic always goes through the tunnel" },
	{ .name = "fwmark", .type = ROAM_T_INT, .def = NULL, .min = 1, .max = 4294967295L,
	  .help = "mobile: packets with this firewall mark go through the tunnel" },
	{ .name = "uplink", .type = ROAM_T_STRING, .def = "auto",
	  .help = "outer device (eth0, wlan0, ppp0); auto: the device of the default route" },
	{ .name = "mtu", .type = ROAM_T_INT, .def = NULL, .min = 68, .max = 65515,
	  .help = "MTU of the tunnel link; unset: the kernel's (1480 on a 1500 uplink)" },
	{ .name = "ttl", .type = ROAM_T_INT, .def = "64", .min = 0, .max = 255,
	  .help = "TTL of the outer packets; 0: inherit the inner packet's" },
	{ .name = "register", .type = ROAM_T_STRING, .def = NULL,
	  .help = "mobile: ssh destination ([user@]host) of the gateway's registration key" },
	{ .name = "allow_from", .type = ROAM_T_PREFIX, .def = NULL, .list = true,
	  .help = "gateway: prefixes a registration may come from; unset: any unicast address" },
};

const struct roam_section roam_tunnel_keys = ROAM_SECTION("tunnel", tunnel_keys);
