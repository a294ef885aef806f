/* SPDX-License-Identifier: MIT */
/* link_ipip.c — the ipip link kind (IP protocol 4): libnl-route-3's rtnl_link_ipip_*. */
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipip.h>

#include "link.h"
#include "nl.h"

static const char *const ipip_keys[] = { "local", "ttl", "register", "register_timeout", "allow_from", NULL };

static bool ipip_equal(const struct tun_link *want, const struct tun_link *have)
{
	return want->local.s_addr == have->local.s_addr &&
	       want->remote.s_addr == have->remote.s_addr && want->ttl == have->ttl;
}

static void ipip_render(struct tun_out *o, const struct tun_link *l, enum tun_link_render how)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	(void)how;	/* `ip link add` and `ip link set` take the same words */
	tun_put(o, "type ipip local %s remote %s ttl %u", tun_ip(l->local, a), tun_ip(l->remote, b),
		l->ttl);
}

/* all ipip parameters: the kernel resets those a change request leaves out */
static struct rtnl_link *link_obj(const struct tun_link *w, struct rtnl_link *orig)
{
	struct rtnl_link *l = rtnl_link_ipip_alloc();

	if (!l)
		return NULL;
	rtnl_link_set_name(l, w->name);
	rtnl_link_ipip_set_local(l, w->local.s_addr);
	rtnl_link_ipip_set_remote(l, w->remote.s_addr);
	rtnl_link_ipip_set_ttl(l, (uint8_t)w->ttl);
	rtnl_link_ipip_set_pmtudisc(l, orig ? rtnl_link_ipip_get_pmtudisc(orig) : 1);
	if (orig) {
		rtnl_link_ipip_set_tos(l, rtnl_link_ipip_get_tos(orig));
		rtnl_link_ipip_set_link(l, rtnl_link_ipip_get_link(orig));
	}
	if (w->mtu)
		rtnl_link_set_mtu(l, w->mtu);
	if (w->up)
		rtnl_link_set_flags(l, IFF_UP);
	return l;
}

static int ipip_add(struct tun_nl *nl, const struct tun_link *w)
{
	struct rtnl_link *l = link_obj(w, NULL);
	int err;

	if (!l)
		return -NLE_NOMEM;
	err = rtnl_link_add(tun_nl_sock(nl), l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	return err;
}

static int ipip_change(struct tun_nl *nl, const struct tun_link *w, struct rtnl_link *orig)
{
	struct rtnl_link *l = link_obj(w, orig);
	int err = l ? rtnl_link_change(tun_nl_sock(nl), orig, l, 0) : -NLE_NOMEM;

	rtnl_link_put(l);
	return err;
}

static bool ipip_read(struct tun_nl *nl, struct rtnl_link *l, struct tun_link *out,
		      struct roam_error *e)
{
	(void)nl, (void)e;
	out->local.s_addr = rtnl_link_ipip_get_local(l);
	out->remote.s_addr = rtnl_link_ipip_get_remote(l);
	out->ttl = rtnl_link_ipip_get_ttl(l);
	return true;
}

const struct link_kind tun_link_ipip = {
	.name = "ipip",
	.module = "ipip",
	.has_local = true,
	.keys = ipip_keys,
	.equal = ipip_equal,
	.render = ipip_render,
	.add = ipip_add,
	.change = ipip_change,
	.read = ipip_read,
};
