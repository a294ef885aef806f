/* SPDX-License-Identifier: MIT */
/* nl_apply.c — create, change in place and delete one plan object. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link.h"
#include "nl.h"
#include "render.h"

static bool nl_fail(struct tun_nl *nl, struct roam_error *e, const char *verb,
		    const struct tun_obj *o, int err)
{
	char what[TUN_RENDER_MAX], hint[64] = "";
	const char *why = tun_nl_why(nl);

	tun_describe(o, what, sizeof(what));
	if (o->kind == TUN_LINK && err == -NLE_OPNOTSUPP)
		snprintf(hint, sizeof(hint), " (no %s support in this kernel? modprobe %s)",
			 tun_link_kind(&o->link)->name, tun_link_kind(&o->link)->module);
	return roam_error_set(e, "netlink: %s %s: %s%s%s%s%s", verb, what, nl_geterror(err),
			      *why ? " (kernel: " : "", why, *why ? ")" : "", hint);
}

static bool ifindex(const char *dev, int *out, const struct tun_obj *o, struct roam_error *e)
{
	char what[TUN_RENDER_MAX];

	*out = (int)if_nametoindex(dev);
	if (*out)
		return true;
	tun_describe(o, what, sizeof(what));
	return roam_error_set(e, "%s: no such device %s", what, dev);
}

static struct nl_addr *nl4(struct in_addr a, unsigned len)
{
	struct nl_addr *n = nl_addr_build(AF_INET, &a, 4);

	if (n)
		nl_addr_set_prefixlen(n, (int)len);
	return n;
}

static bool sysctl_write(int value, struct roam_error *e)
{
	int fd = open(TUN_SYSCTL_FORWARD, O_WRONLY | O_CLOEXEC);
	char c = value ? '1' : '0';

	if (fd < 0 || write(fd, &c, 1) != 1) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return roam_error_set(e, "%s: %s", TUN_SYSCTL_FORWARD, strerror(err));
	}
	if (close(fd) < 0)
		return roam_error_set(e, "%s: %s", TUN_SYSCTL_FORWARD, strerror(errno));
	return true;
}

static int link_change(struct tun_nl *nl, const struct tun_link *w)
{
	struct rtnl_link *orig;
	int err = rtnl_link_get_kernel(tun_nl_sock(nl), 0, w->name, &orig);

	if (err < 0)
		return err;
	err = tun_link_kind(w)->change(nl, w, orig);
	rtnl_link_put(orig);
	return err;
}

static int addr_do(struct nl_sock *sk, const struct tun_addr *w, int ifi, bool add)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl4(w->local, 32), *peer = NULL;
	int err = -NLE_NOMEM;

	if (!a || !local)
		goto out;
	rtnl_addr_set_ifindex(a, ifi);
	rtnl_addr_set_family(a, AF_INET);
	rtnl_addr_set_local(a, local);
	if (w->peer.s_addr && !(peer = nl4(w->peer, 32)))
		goto out;
	if (peer)
		rtnl_addr_set_peer(a, peer);
	rtnl_addr_set_prefixlen(a, 32);
	/* NLM_F_REPLACE: an address that is already there is not an error */
	err = add ? rtnl_addr_add(sk, a, NLM_F_REPLACE) : rtnl_addr_delete(sk, a, 0);
out:
	nl_addr_put(local);
	nl_addr_put(peer);
	rtnl_addr_put(a);
	return err;
}

static int route_do(struct nl_sock *sk, const struct tun_route *w, int ifi, bool add)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = nl4(w->dst.addr, w->dst.len), *via = NULL, *src = NULL;
	int err = -NLE_NOMEM;

	if (!r || !dst)
		goto out;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, w->table);
	rtnl_route_set_dst(r, dst);
	rtnl_route_set_type(r, RTN_UNICAST);
	if (!add) {	/* by table and destination, whatever its scope and next hop */
		rtnl_route_set_scope(r, RT_SCOPE_NOWHERE);
		err = rtnl_route_delete(sk, r, 0);
		goto out;
	}
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_scope(r, w->via.s_addr ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	if (w->src.s_addr && (src = nl4(w->src, 32)))
		rtnl_route_set_pref_src(r, src);
	if (!(nh = rtnl_route_nh_alloc()))
		goto out;
	rtnl_route_nh_set_ifindex(nh, ifi);
	if (w->via.s_addr && (via = nl4(w->via, 32)))
		rtnl_route_nh_set_gateway(nh, via);
	if (w->onlink)	/* a gateway outside the device's subnets */
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
	rtnl_route_add_nexthop(r, nh);
	/* NLM_F_REPLACE: the same destination with another next hop is re-pinned */
	err = rtnl_route_add(sk, r, NLM_F_REPLACE);
out:
	nl_addr_put(dst);
	nl_addr_put(via);
	nl_addr_put(src);
	rtnl_route_put(r);	/* frees nh with it */
	return err;
}

static int rule_do(struct nl_sock *sk, const struct tun_rule *w, bool add)
{
	struct rtnl_rule *r = rtnl_rule_alloc();
	struct nl_addr *from = NULL;
	int err = -NLE_NOMEM;

	if (!r)
		return err;
	rtnl_rule_set_family(r, AF_INET);
	rtnl_rule_set_prio(r, w->prio);
	rtnl_rule_set_table(r, w->table);
	rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	if (w->from.len && !(from = nl4(w->from.addr, w->from.len)))
		goto out;
	if (from)
		rtnl_rule_set_src(r, from);
	if (w->ipproto)
		rtnl_rule_set_ipproto(r, w->ipproto);
	if (w->dport)
		rtnl_rule_set_dport(r, w->dport);
	if (w->fwmark) {
		rtnl_rule_set_mark(r, w->fwmark);
		rtnl_rule_set_mask(r, 0xffffffff);
	}
	/* explicit priority + NLM_F_EXCL: without them rules pile up */
	err = add ? rtnl_rule_add(sk, r, NLM_F_EXCL) : rtnl_rule_delete(sk, r, 0);
out:
	nl_addr_put(from);
	rtnl_rule_put(r);
	return err;
}

static int neigh_do(struct nl_sock *sk, const struct tun_neigh *w, int ifi, bool add)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = nl4(w->dst, 32);
	int err = -NLE_NOMEM;

	if (n && dst) {
		rtnl_neigh_set_family(n, AF_INET);
		rtnl_neigh_set_ifindex(n, ifi);
		rtnl_neigh_set_dst(n, dst);
		rtnl_neigh_set_flags(n, NTF_PROXY);
		rtnl_neigh_set_state(n, NUD_PERMANENT);
		err = add ? rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_EXCL)
			  : rtnl_neigh_delete(sk, n, 0);
	}
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	return err;
}

/* one write; add says create (or change), !add says delete */
static bool apply(struct tun_nl *nl, const struct tun_obj *o, bool add, bool change,
		  struct roam_error *e)
{
	struct nl_sock *sk = tun_nl_sock(nl);
	const char *verb = change ? "change" : add ? "add" : "delete";
	int ifi = 0, err = 0;

	switch (o->kind) {
	case TUN_SYSCTL:
		if (!sysctl_write(o->sysctl.value, e))
			return false;
		break;
	case TUN_LINK:
		err = change ? link_change(nl, &o->link) :
		      add ? tun_link_kind(&o->link)->add(nl, &o->link) : 0;
		if (!add && !change) {
			struct rtnl_link *l = rtnl_link_alloc();

			rtnl_link_set_name(l, o->link.name);
			err = rtnl_link_delete(sk, l);
			rtnl_link_put(l);
		}
		break;
	case TUN_ADDR:
		if (!ifindex(o->addr.dev, &ifi, o, e))
			return false;
		err = addr_do(sk, &o->addr, ifi, add);
		break;
	case TUN_ROUTE:
		if (add && !ifindex(o->route.dev, &ifi, o, e))
			return false;
		err = route_do(sk, &o->route, ifi, add);
		break;
	case TUN_RULE:
		err = rule_do(sk, &o->rule, add);
		break;
	case TUN_NEIGH:
		if (!ifindex(o->neigh.dev, &ifi, o, e))
			return false;
		err = neigh_do(sk, &o->neigh, ifi, add);
		break;
	}
	if (err < 0)
		return nl_fail(nl, e, verb, o, err);
	tun_nl_count(nl);
	return true;
}

bool tun_nl_add(struct tun_nl *nl, const struct tun_obj *o, struct roam_error *e)
{
	return apply(nl, o, true, false, e);
}

bool tun_nl_change(struct tun_nl *nl, const struct tun_obj *want, const struct tun_obj *have,
		   struct roam_error *e)
{
	switch (want->kind) {
	case TUN_LINK:
		return apply(nl, want, true, true, e);
	case TUN_ADDR:	/* another peer is another address to the kernel */
		return apply(nl, have, false, false, e) && apply(nl, want, true, false, e);
	default:	/* routes replace, sysctl writes; rules and neighbours never differ */
		return apply(nl, want, true, false, e);
	}
}

bool tun_nl_del(struct tun_nl *nl, const struct tun_obj *o, struct roam_error *e)
{
	return apply(nl, o, false, false, e);
}
