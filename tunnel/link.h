/* SPDX-License-Identifier: MIT */
/*
 * link.h — one tunnel encapsulation (a link kind) behind one interface, in the
 * spirit of iproute2's struct link_util: tunnel/link_ipip.c,
 * tunnel/link_wireguard.c. The plan, the diff, proxy ARP, rules and routes are
 * kind-neutral; what differs per kind is here: its [tunnel] keys, the link's
 * kind fields in the plan, equality, rendering as commands, and the kernel
 * side (create, change in place, read back). A third kind is a new file and
 * one line in link.c's table.
 */
#ifndef ROAM_TUNNEL_LINK_H
#define ROAM_TUNNEL_LINK_H

#include <stdio.h>

#include "config.h"
#include "plan.h"
#include "render.h"

struct tun_nl;
struct rtnl_link;

enum tun_link_render {
	TUN_LINK_ADD,		/* after "ip link add NAME [mtu M] " */
	TUN_LINK_CHANGE,	/* after "ip link set NAME [mtu M] up " */
	TUN_LINK_DESCRIBE,	/* after "link NAME " (status, errors) */
};

struct link_kind {
	const char *name;	/* encap = NAME, and rtnetlink's IFLA_INFO_KIND */
	const char *module;	/* the kernel module, for the hint when it is missing */
	unsigned default_mtu;	/* mtu unset: 0 leaves it to the kernel */
	bool follows_peer;	/* the kernel learns the peer's endpoint: no registration */
	bool has_local;		/* the link has a local address (local = auto finds it) */
	/* [tunnel] keys only this kind uses: a config of another kind refuses them */
	const char *const *keys;
	/* the kind's own keys into cfg; errors name FILE:LINE (NULL: none) */
	bool (*cfg)(const struct roam_conf *conf, struct tunnel_cfg *cfg, struct roam_error *e);
	/* the link's kind fields in the plan, the common ones set (NULL: none) */
	void (*plan)(struct tun_link *l, const struct tunnel_cfg *c, const struct tunnel_env *env);
	/* want's managed kind fields match have's (pure) */
	bool (*equal)(const struct tun_link *want, const struct tun_link *have);
	/* the kind's part of a command or description (pure) */
	void (*render)(struct tun_out *o, const struct tun_link *l, enum tun_link_render how);
	/* status: lines about the kernel's link (have), the latest handshake (NULL: none) */
	void (*status)(FILE *out, const struct tun_link *have);
	/* kernel: create (configured, up as w says), change in place; libnl error codes */
	int (*add)(struct tun_nl *nl, const struct tun_link *w);
	int (*change)(struct tun_nl *nl, const struct tun_link *w, struct rtnl_link *orig);
	/* roam, the link in place: tell the peer where we are now, at once (NULL:
	 * nothing to do, a registration does it); the equivalent commands go to
	 * cmd; a libnl error code */
	int (*announce)(struct tun_nl *nl, const struct tun_link *w, char *cmd, size_t len);
	/* the kernel's link l of this kind into out's kind fields */
	bool (*read)(struct tun_nl *nl, struct rtnl_link *l, struct tun_link *out,
		     struct roam_error *e);
};

extern const struct link_kind tun_link_ipip, tun_link_wireguard;

/* every kind, NULL-terminated (encap's choices, in this order) */
extern const struct link_kind *const tun_link_kinds[];
const struct link_kind *tun_link_kind_find(const char *name);
/* l's kind: a link made without one (unit tests, the register probe) is ipip */
const struct link_kind *tun_link_kind(const struct tun_link *l);

#endif
