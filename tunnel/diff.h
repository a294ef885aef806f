/* SPDX-License-Identifier: MIT */
/*
 * diff.h — desired objects against what the kernel has, pure.
 *
 * Two objects are the "same object" when the kernel would treat them as one
 * (a link by name, an address by device and local address, a route by table
 * and destination, a proxy entry by device and address); they are "equal"
 * when every attribute we manage matches. A rule is the same only when it is
 * equal: rules have no other identity.
 */
#ifndef ROAM_TUNNEL_DIFF_H
#define ROAM_TUNNEL_DIFF_H

#include "plan.h"

enum tun_state { TUN_PRESENT, TUN_MISSING, TUN_DIFFERENT };

struct tun_diff {
	enum tun_state state[TUN_MAX_OBJS];
	/* for TUN_PRESENT and TUN_DIFFERENT: the kernel's object */
	struct tun_obj current[TUN_MAX_OBJS];
	size_t n, present, missing, different;
};

/* The kernel's objects as read by nl.c: any order, may hold unrelated ones. */
struct tun_objs {
	struct tun_obj *v;
	size_t n, cap;
};

bool tun_same_object(const struct tun_obj *a, const struct tun_obj *b);
bool tun_equal(const struct tun_obj *a, const struct tun_obj *b);
void tunnel_diff(const struct tunnel_plan *want, const struct tun_objs *have, struct tun_diff *d);
const char *tun_state_name(enum tun_state s);

#endif
