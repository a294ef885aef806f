/* SPDX-License-Identifier: MIT */
/*
 * nl.h — the kernel side of roam-tunnel, through libnl-route-3 only.
 *
 * Reading turns the kernel's links, addresses, routes, rules, proxy
 * neighbours and the forwarding sysctl into plan objects (plan.h); writing
 * applies one plan object at a time. Every write is counted, so that `up`
 * twice can be shown to send nothing the second time. Errors carry
 * nl_geterror() and the object that failed.
 */
#ifndef ROAM_TUNNEL_NL_H
#define ROAM_TUNNEL_NL_H

#include "diff.h"
#include "plan.h"

struct tun_nl;

struct tun_nl *tun_nl_open(struct roam_error *e);
void tun_nl_close(struct tun_nl *nl);
/* netlink requests (and sysctl writes) that changed something so far */
unsigned tun_nl_changes(const struct tun_nl *nl);

/* Appends the kernel's objects that could be the same as one in want. */
bool tun_nl_read(struct tun_nl *nl, const struct tunnel_plan *want, struct tun_objs *have,
		 struct roam_error *e);
void tun_objs_free(struct tun_objs *have);

bool tun_nl_add(struct tun_nl *nl, const struct tun_obj *o, struct roam_error *e);
/* turns have into want in place (a link keeps its ifindex, routes, addresses) */
bool tun_nl_change(struct tun_nl *nl, const struct tun_obj *want, const struct tun_obj *have,
		   struct roam_error *e);
bool tun_nl_del(struct tun_nl *nl, const struct tun_obj *o, struct roam_error *e);

/* The system snapshot for planning: uplink, default router, own address. */
bool tun_nl_env(struct tun_nl *nl, const struct tunnel_cfg *cfg, struct tunnel_env *env,
		struct roam_error *e);

/* where the forwarding sysctl lives; tests may not touch it elsewhere */
#define TUN_SYSCTL_FORWARD "/proc/sys/net/ipv4/ip_forward"

/* internal to nl*.c */
struct nl_sock *tun_nl_sock(struct tun_nl *nl);
void tun_nl_count(struct tun_nl *nl);
bool tun_sysctl_read(int *value, struct roam_error *e);
/* a generic netlink socket (opened on first use) and FAMILY's id, or a libnl error */
int tun_nl_genl(struct tun_nl *nl, const char *family, struct nl_sock **sk);
/* the kernel's reason for the last failed request (extended ack), or "" */
const char *tun_nl_why(const struct tun_nl *nl);
/* ifindex → name, remembered until the next write; NULL when there is none */
const char *tun_nl_ifname(struct tun_nl *nl, int index, char *buf);
/* the route (TUN_ROUTE) or address (TUN_ADDR) dump, shared until the next write */
struct nl_cache *tun_nl_dump(struct tun_nl *nl, enum tun_kind kind, struct roam_error *e);

#endif
