/* SPDX-License-Identifier: MIT */
/*
 * plan.h — the objects roam-tunnel manages, as plain data.
 *
 * A plan is the list of objects the configuration asks for, computed from the
 * config and a snapshot of the system (struct tunnel_env). The kernel reader
 * (nl.c) turns what the kernel has into the same structs, so planning, diffing
 * and rendering as `ip` commands are pure functions that unit tests run
 * without a kernel. Order matters: `up` applies a plan front to back, `down`
 * back to front (routes need their link up, the link needs to exist).
 */
#ifndef ROAM_TUNNEL_PLAN_H
#define ROAM_TUNNEL_PLAN_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "error.h"

#define TUN_MAX_PORTS 8
#define TUN_MAX_OBJS 24
#define TUN_TABLE_MAIN 254

enum tun_kind { TUN_SYSCTL, TUN_LINK, TUN_ADDR, TUN_ROUTE, TUN_RULE, TUN_NEIGH };

struct link_kind;		/* link.h: one per encapsulation */

#define TUN_WG_KEY_LEN 32
#define TUN_WG_MAX_ALLOWED 4

struct tun_wg {			/* wireguard: own key and port, the one peer */
	uint8_t private_key[TUN_WG_KEY_LEN];
	uint8_t peer_key[TUN_WG_KEY_LEN];
	char key_file[160];	/* where private_key came from: rendered, never the key */
	uint16_t listen_port;	/* 0: the kernel picks one (not managed) */
	uint16_t endpoint_port;	/* the peer's endpoint is link.remote:endpoint_port */
	bool endpoint_managed;	/* mobile: yes; gateway: it follows the mobile */
	uint16_t keepalive;	/* persistent keepalive, seconds; 0: off */
	struct roam_prefix allowed[TUN_WG_MAX_ALLOWED];	/* the peer's allowed IPs */
	size_t nallowed;
	/* read from the kernel, never planned */
	size_t npeers;
	bool has_public_key;
	uint8_t public_key[TUN_WG_KEY_LEN];	/* the kernel's, from private_key */
	int64_t last_handshake;	/* wall clock seconds; 0: never */
};

struct tun_link {		/* ip link add NAME type ipip local L remote R ttl T */
	char name[IFNAMSIZ];
	const struct link_kind *kind;	/* NULL: ipip */
	struct in_addr local, remote;	/* ipip's endpoints; wireguard: remote = the peer's endpoint */
	unsigned ttl;		/* ipip */
	unsigned mtu;		/* 0: not managed */
	bool up;
	struct tun_wg wg;	/* wireguard */
};

struct tun_addr {		/* ip addr add LOCAL peer PEER dev DEV */
	char dev[IFNAMSIZ];
	struct in_addr local, peer;
};

struct tun_route {		/* ip route add DST [via GW] dev DEV [src SRC] [onlink] table T */
	uint32_t table;
	struct roam_prefix dst;
	char dev[IFNAMSIZ];	/* empty: no device known (e.g. a foreign route) */
	struct in_addr via, src;	/* 0.0.0.0: none */
	bool onlink;
};

struct tun_rule {		/* ip rule add [from F] [ipproto P dport D] [fwmark M] lookup T priority N */
	uint32_t prio, table;
	struct roam_prefix from;	/* len 0: any */
	uint8_t ipproto;	/* 0: any */
	uint16_t dport;		/* 0: any */
	uint32_t fwmark;	/* 0: none */
};

struct tun_neigh {		/* ip neigh add proxy DST dev DEV */
	char dev[IFNAMSIZ];
	struct in_addr dst;
};

struct tun_sysctl {		/* net.ipv4.ip_forward */
	int value;
};

struct tun_obj {
	enum tun_kind kind;
	union {
		struct tun_link link;
		struct tun_addr addr;
		struct tun_route route;
		struct tun_rule rule;
		struct tun_neigh neigh;
		struct tun_sysctl sysctl;
	};
};

struct tunnel_plan {
	struct tun_obj obj[TUN_MAX_OBJS];
	size_t n;
};

enum tunnel_role { ROLE_GATEWAY, ROLE_MOBILE };

struct tun_port {
	uint8_t ipproto;	/* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t port;
};

/* The [tunnel] section, checked (cfg.c). */
struct tunnel_cfg {
	enum tunnel_role role;
	const struct link_kind *kind;	/* encap */
	char name[IFNAMSIZ];
	bool local_auto;
	struct in_addr local, remote, inner_local, inner_remote, exported;
	char remote_name[254];	/* remote = NAME: resolved by each command (tunnel.c) */
	char remote_where[300];	/* FILE:LINE of remote = NAME, for its errors */
	char lan_dev[IFNAMSIZ];
	uint32_t table, priority;
	bool has_home_net;
	struct roam_prefix home_net;
	struct tun_port ports[TUN_MAX_PORTS];
	size_t nports;
	uint32_t fwmark;
	char uplink[IFNAMSIZ];	/* empty: auto */
	unsigned mtu, ttl;
	char reg[256];		/* register: ssh destination; empty: none */
	unsigned reg_timeout;	/* register_timeout: seconds for the whole ssh */
	struct roam_prefix allow_from[16];
	size_t nallow;
	struct tun_wg wg;	/* encap = wireguard: keys, ports, keepalive */
};

/* What the plan needs to know about the system right now (env.c reads it). */
struct tunnel_env {
	char uplink[IFNAMSIZ];	/* the outer device */
	struct in_addr router;	/* default router on it; 0: a point-to-point uplink */
	bool router_onlink;	/* the router lies outside the uplink's subnets */
	struct in_addr local;	/* the uplink's address (for local = auto) */
	struct in_addr registered;	/* gateway: remote from the last registration; 0: none */
};

/* Objects the config asks for, in apply order. */
bool tunnel_plan_build(const struct tunnel_cfg *cfg, const struct tunnel_env *env,
		       struct tunnel_plan *plan, struct roam_error *e);

/* A route's gateway needs RTNH_F_ONLINK when no prefix of its device covers it. */
bool tunnel_needs_onlink(struct in_addr gw, const struct roam_prefix *nets, size_t n);

#endif
