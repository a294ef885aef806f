/* SPDX-License-Identifier: MIT */
/*
 * env.c — the system snapshot a plan depends on: which device leads out
 * (the uplink), today's default router on it, and our address there.
 * Read fresh for every command, so that `roam` after a move sees the new
 * network and not the one the tunnel was built on.
 */
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <string.h>

#include "nl.h"

struct env_ctx {
	struct tun_nl *nl;
	const char *want_dev;	/* uplink = DEV; NULL: auto */
	struct tunnel_env *env;
	uint32_t best_metric;
	bool found;
	struct roam_prefix nets[16];	/* the uplink's subnets */
	size_t nnets;
	struct in_addr first;	/* the uplink's first address */
};

static struct in_addr in4(struct nl_addr *a)
{
	struct in_addr r = { 0 };

	if (a && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
		memcpy(&r, nl_addr_get_binary_addr(a), 4);
	return r;
}

/* the main table's default route with the lowest metric (on DEV if asked) */
static void default_cb(struct nl_object *obj, void *arg)
{
	struct env_ctx *x = arg;
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct rtnl_nexthop *nh;
	char dev[IFNAMSIZ];

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
	    nl_addr_get_prefixlen(rtnl_route_get_dst(r)) != 0 || rtnl_route_get_nnexthops(r) < 1)
		return;
	nh = rtnl_route_nexthop_n(r, 0);
	if (!tun_nl_ifname(x->nl, rtnl_route_nh_get_ifindex(nh), dev))
		return;
	if (x->want_dev && strcmp(dev, x->want_dev))
		return;
	if (x->found && rtnl_route_get_priority(r) >= x->best_metric)
		return;
	x->found = true;
	x->best_metric = rtnl_route_get_priority(r);
	snprintf(x->env->uplink, sizeof(x->env->uplink), "%s", dev);
	x->env->router = in4(rtnl_route_nh_get_gateway(nh));
}

static void addr_cb(struct nl_object *obj, void *arg)
{
	struct env_ctx *x = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct roam_prefix p;
	char dev[IFNAMSIZ];
	uint32_t mask;

	if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_scope(a) != RT_SCOPE_UNIVERSE ||
	    !tun_nl_ifname(x->nl, rtnl_addr_get_ifindex(a), dev) || strcmp(dev, x->env->uplink))
		return;
	p.addr = in4(rtnl_addr_get_local(a));
	p.len = (unsigned)rtnl_addr_get_prefixlen(a);
	if (!x->first.s_addr)
		x->first = p.addr;
	/* the address whose subnet holds the router is the one packets leave with */
	mask = p.len ? htonl(~0u << (32 - p.len)) : 0;
	p.addr.s_addr &= mask;
	if (x->env->router.s_addr && roam_prefix_contains(&p, x->env->router))
		x->env->local = in4(rtnl_addr_get_local(a));
	if (x->nnets < sizeof(x->nets) / sizeof(x->nets[0]))
		x->nets[x->nnets++] = p;
	/* a point-to-point address (ppp) covers its peer */
	if (rtnl_addr_get_peer(a) && x->nnets < sizeof(x->nets) / sizeof(x->nets[0]))
		x->nets[x->nnets++] = (struct roam_prefix){ in4(rtnl_addr_get_peer(a)), 32 };
}

bool tun_nl_env(struct tun_nl *nl, const struct tunnel_cfg *cfg, struct tunnel_env *env,
		struct roam_error *e)
{
	struct env_ctx x = { .nl = nl, .want_dev = cfg->uplink[0] ? cfg->uplink : NULL, .env = env };
	struct nl_cache *c;

	memset(env, 0, sizeof(*env));
	if (!(c = tun_nl_dump(nl, TUN_ROUTE, e)))
		return false;
	nl_cache_foreach(c, default_cb, &x);
	/* uplink = ppp0 without a default route on it: pin through the device itself */
	if (!x.found && x.want_dev && if_nametoindex(x.want_dev))
		snprintf(env->uplink, sizeof(env->uplink), "%s", x.want_dev);
	if (!env->uplink[0])
		return true;	/* the plan says what is missing, if it needs it */
	if (!(c = tun_nl_dump(nl, TUN_ADDR, e)))
		return false;
	nl_cache_foreach(c, addr_cb, &x);
	if (!env->local.s_addr)
		env->local = x.first;
	env->router_onlink = env->router.s_addr &&
			     tunnel_needs_onlink(env->router, x.nets, x.nnets);
	return true;
}
