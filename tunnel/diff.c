/* SPDX-License-Identifier: MIT */
/* diff.c — identity and equality of plan objects; the diff. */
#include <string.h>

#include "diff.h"
#include "link.h"

static bool addr_eq(struct in_addr a, struct in_addr b)
{
	return a.s_addr == b.s_addr;
}

static bool prefix_eq(struct roam_prefix a, struct roam_prefix b)
{
	return a.len == b.len && addr_eq(a.addr, b.addr);
}

bool tun_same_object(const struct tun_obj *a, const struct tun_obj *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TUN_SYSCTL:
		return true;
	case TUN_LINK:
		return !strcmp(a->link.name, b->link.name);
	case TUN_ADDR:
		return !strcmp(a->addr.dev, b->addr.dev) && addr_eq(a->addr.local, b->addr.local);
	case TUN_ROUTE:
		return a->route.table == b->route.table && prefix_eq(a->route.dst, b->route.dst);
	case TUN_RULE:
		return tun_equal(a, b);
	case TUN_NEIGH:
		return !strcmp(a->neigh.dev, b->neigh.dev) && addr_eq(a->neigh.dst, b->neigh.dst);
	}
	return false;
}

static bool link_eq(const struct tun_link *want, const struct tun_link *have)
{
	return want->up == have->up && (!want->mtu || want->mtu == have->mtu) &&
	       tun_link_kind(want) == tun_link_kind(have) && tun_link_kind(want)->equal(want, have);
}

static bool route_eq(const struct tun_route *a, const struct tun_route *b)
{
	return !strcmp(a->dev, b->dev) && addr_eq(a->via, b->via) && addr_eq(a->src, b->src) &&
	       a->onlink == b->onlink;
}

static bool rule_eq(const struct tun_rule *a, const struct tun_rule *b)
{
	return a->prio == b->prio && a->table == b->table && prefix_eq(a->from, b->from) &&
	       a->ipproto == b->ipproto && a->dport == b->dport && a->fwmark == b->fwmark;
}

/* a is the wanted object: fields it leaves unmanaged (mtu 0) match anything */
bool tun_equal(const struct tun_obj *a, const struct tun_obj *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TUN_SYSCTL:
		return a->sysctl.value == b->sysctl.value;
	case TUN_LINK:
		return !strcmp(a->link.name, b->link.name) && link_eq(&a->link, &b->link);
	case TUN_ADDR:
		return tun_same_object(a, b) && addr_eq(a->addr.peer, b->addr.peer);
	case TUN_ROUTE:
		return tun_same_object(a, b) && route_eq(&a->route, &b->route);
	case TUN_RULE:
		return rule_eq(&a->rule, &b->rule);
	case TUN_NEIGH:
		return tun_same_object(a, b);
	}
	return false;
}

void tunnel_diff(const struct tunnel_plan *want, const struct tun_objs *have, struct tun_diff *d)
{
	memset(d, 0, sizeof(*d));
	d->n = want->n;
	for (size_t i = 0; i < want->n; i++) {
		const struct tun_obj *w = &want->obj[i];
		const struct tun_obj *same = NULL;

		d->state[i] = TUN_MISSING;
		for (size_t j = 0; j < have->n; j++) {
			if (!tun_same_object(w, &have->v[j]))
				continue;
			same = &have->v[j];
			if (tun_equal(w, same))
				break;	/* an exact match wins over a merely "same" one */
		}
		if (same) {
			d->current[i] = *same;
			d->state[i] = tun_equal(w, same) ? TUN_PRESENT : TUN_DIFFERENT;
		}
		d->present += d->state[i] == TUN_PRESENT;
		d->missing += d->state[i] == TUN_MISSING;
		d->different += d->state[i] == TUN_DIFFERENT;
	}
}

const char *tun_state_name(enum tun_state s)
{
	return s == TUN_PRESENT ? "present" : s == TUN_MISSING ? "missing" : "different";
}
