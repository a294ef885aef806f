/* SPDX-License-Identifier: MIT */
/* plan.c — from config + system snapshot to the list of desired objects. */
#include <stdio.h>
#include <string.h>

#include "link.h"
#include "plan.h"

static struct tun_obj *add(struct tunnel_plan *p, enum tun_kind kind)
{
	struct tun_obj *o;

	if (p->n >= TUN_MAX_OBJS)
		return NULL;
	o = &p->obj[p->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	return o;
}

static struct roam_prefix host(struct in_addr a)
{
	return (struct roam_prefix){ .addr = a, .len = 32 };
}

bool tunnel_needs_onlink(struct in_addr gw, const struct roam_prefix *nets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (roam_prefix_contains(&nets[i], gw))
			return false;
	return true;
}

static void add_link_and_addr(struct tunnel_plan *p, const struct tunnel_cfg *c,
			      const struct tunnel_env *env)
{
	struct tun_obj *o = add(p, TUN_LINK);
	const struct link_kind *kind = c->kind ? c->kind : &tun_link_ipip;

	snprintf(o->link.name, sizeof(o->link.name), "%s", c->name);
	o->link.kind = kind;
	o->link.local = c->local_auto ? env->local : c->local;
	o->link.remote = c->remote;
	if (c->role == ROLE_GATEWAY && env->registered.s_addr)
		o->link.remote = env->registered;
	o->link.ttl = c->ttl;
	o->link.mtu = c->mtu ? c->mtu : kind->default_mtu;
	o->link.up = true;
	if (kind->plan)
		kind->plan(&o->link, c, env);

	o = add(p, TUN_ADDR);
	snprintf(o->addr.dev, sizeof(o->addr.dev), "%s", c->name);
	o->addr.local = c->inner_local;
	o->addr.peer = c->inner_remote;
}

static struct tun_route *add_route(struct tunnel_plan *p, uint32_t table,
				   struct roam_prefix dst, const char *dev)
{
	struct tun_obj *o = add(p, TUN_ROUTE);

	if (!o)
		return NULL;
	o->route.table = table;
	o->route.dst = dst;
	snprintf(o->route.dev, sizeof(o->route.dev), "%s", dev);
	return &o->route;
}

static struct tun_rule *add_rule(struct tunnel_plan *p, const struct tunnel_cfg *c)
{
	struct tun_obj *o = add(p, TUN_RULE);
	uint32_t prio = c->priority;

	if (!o)
		return NULL;
	/* each rule its own priority: with NLM_F_EXCL that is what keeps rules unique */
	for (size_t i = 0; i + 1 < p->n; i++)
		if (p->obj[i].kind == TUN_RULE)
			prio++;
	o->rule.prio = prio;
	o->rule.table = c->table;
	return &o->rule;
}

static bool plan_gateway(struct tunnel_plan *p, const struct tunnel_cfg *c,
			 const struct tunnel_env *env)
{
	add(p, TUN_SYSCTL)->sysctl.value = 1;
	add_link_and_addr(p, c, env);
	add_route(p, TUN_TABLE_MAIN, host(c->exported), c->name);
	struct tun_obj *o = add(p, TUN_NEIGH);
	snprintf(o->neigh.dev, sizeof(o->neigh.dev), "%s", c->lan_dev);
	o->neigh.dst = c->exported;
	return true;
}

static bool plan_mobile(struct tunnel_plan *p, const struct tunnel_cfg *c,
			const struct tunnel_env *env, struct roam_error *e)
{
	struct tun_route *r;
	struct tun_rule *u;

	if (!env->uplink[0])
		return roam_error_set(e, "no uplink: no default route%s%s",
				      c->uplink[0] ? " on " : "", c->uplink);
	/* pinned first: the tunnel's own packets must never enter the tunnel */
	r = add_route(p, TUN_TABLE_MAIN, host(c->remote), env->uplink);
	r->via = env->router;
	r->onlink = env->router.s_addr && env->router_onlink;
	add_link_and_addr(p, c, env);
	/* the exported address lives on the tunnel, as a /32 without peer */
	struct tun_obj *o = add(p, TUN_ADDR);
	snprintf(o->addr.dev, sizeof(o->addr.dev), "%s", c->name);
	o->addr.local = c->exported;
	r = add_route(p, c->table, (struct roam_prefix){ .len = 0 }, c->name);
	r->via = c->inner_remote;
	r->src = c->exported;
	if (c->has_home_net) {
		r = add_route(p, TUN_TABLE_MAIN, c->home_net, c->name);
		r->src = c->exported;
	}
	u = add_rule(p, c);
	u->from = host(c->exported);
	for (size_t i = 0; i < c->nports; i++) {
		u = add_rule(p, c);
		u->ipproto = c->ports[i].ipproto;
		u->dport = c->ports[i].port;
	}
	if (c->fwmark) {
		u = add_rule(p, c);
		u->fwmark = c->fwmark;
	}
	return true;
}

bool tunnel_plan_build(const struct tunnel_cfg *cfg, const struct tunnel_env *env,
		       struct tunnel_plan *plan, struct roam_error *e)
{
	plan->n = 0;
	if (cfg->local_auto && !env->local.s_addr && (!cfg->kind || cfg->kind->has_local))
		return roam_error_set(e, "local = auto: no IPv4 address on uplink %s",
				      env->uplink[0] ? env->uplink : "(none)");
	if (cfg->role == ROLE_GATEWAY)
		return plan_gateway(plan, cfg, env);
	return plan_mobile(plan, cfg, env, e);
}
