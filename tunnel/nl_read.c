/* SPDX-License-Identifier: MIT */
/* nl_read.c — the netlink socket and reading kernel objects into plan objects. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "nl.h"
#include "statefile.h"

struct tun_nl {
	struct nl_sock *sk;
	struct nl_sock *genl;	/* generic netlink, opened on first use */
	char genl_family[GENL_NAMSIZ];
	int genl_id;
	unsigned changes;
	/* dumps shared by env.c and the reader until the next write: every
	 * syscall counts for a tool that runs once per network change */
	struct nl_cache *routes, *addrs;
	struct { int index; char name[IFNAMSIZ]; } names[32];
	size_t nnames;
	char why[256];		/* the kernel's extended ack of the last error */
};

/* NETLINK_EXT_ACK: the kernel says why a request failed ("Nexthop has invalid
 * gateway"); keep its message for the error line. NL_STOP keeps libnl's own
 * handling: the request still fails with the errno. */
static int ext_ack(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg)
{
	struct tun_nl *nl = arg;
	struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	size_t off = sizeof(*err), len = hdr->nlmsg_len - NLMSG_HDRLEN;
	struct nlattr *msg;

	(void)who;
	nl->why[0] = '\0';
	if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(err->msg.nlmsg_len - NLMSG_HDRLEN);
	if (off >= len)
		return NL_STOP;
	msg = nla_find((struct nlattr *)((char *)err + off), (int)(len - off), NLMSGERR_ATTR_MSG);
	if (msg)
		snprintf(nl->why, sizeof(nl->why), "%.*s", nla_len(msg), (char *)nla_data(msg));
	return NL_STOP;
}

/* the socket options every request of ours wants: the kernel's reason, one read per batch */
static void sock_setup(struct tun_nl *nl, struct nl_sock *sk)
{
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &(int){ 1 }, sizeof(int));
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, ext_ack, nl);
	/* one recvmsg per batch instead of a MSG_PEEK for the size first */
	nl_socket_disable_msg_peek(sk);
	nl_socket_set_msg_buf_size(sk, 65536);
}

struct tun_nl *tun_nl_open(struct roam_error *e)
{
	struct tun_nl *nl = calloc(1, sizeof(*nl));
	int err;

	if (!nl || !(nl->sk = nl_socket_alloc())) {
		free(nl);
		roam_error_set(e, "out of memory");
		return NULL;
	}
	if ((err = nl_connect(nl->sk, NETLINK_ROUTE)) < 0) {
		roam_error_set(e, "netlink: connect: %s", nl_geterror(err));
		tun_nl_close(nl);
		return NULL;
	}
	sock_setup(nl, nl->sk);
	return nl;
}

static void forget(struct tun_nl *nl)
{
	nl_cache_free(nl->routes);
	nl_cache_free(nl->addrs);
	nl->routes = nl->addrs = NULL;
	nl->nnames = 0;
}

void tun_nl_close(struct tun_nl *nl)
{
	if (!nl)
		return;
	forget(nl);
	nl_socket_free(nl->sk);
	nl_socket_free(nl->genl);
	free(nl);
}

int tun_nl_genl(struct tun_nl *nl, const char *family, struct nl_sock **sk)
{
	int err;

	if (!nl->genl) {
		if (!(nl->genl = nl_socket_alloc()))
			return -NLE_NOMEM;
		if ((err = genl_connect(nl->genl)) < 0) {
			nl_socket_free(nl->genl);
			nl->genl = NULL;
			return err;
		}
		sock_setup(nl, nl->genl);
	}
	*sk = nl->genl;
	if (nl->genl_id > 0 && !strcmp(nl->genl_family, family))
		return nl->genl_id;
	if ((err = genl_ctrl_resolve(nl->genl, family)) < 0)
		return err;
	snprintf(nl->genl_family, sizeof(nl->genl_family), "%s", family);
	return nl->genl_id = err;
}

unsigned tun_nl_changes(const struct tun_nl *nl) { return nl->changes; }
const char *tun_nl_why(const struct tun_nl *nl) { return nl->why; }
struct nl_sock *tun_nl_sock(struct tun_nl *nl) { return nl->sk; }

void tun_nl_count(struct tun_nl *nl)
{
	nl->changes++;
	forget(nl);	/* what we read before the write is stale now */
}

const char *tun_nl_ifname(struct tun_nl *nl, int index, char *buf)
{
	for (size_t i = 0; i < nl->nnames; i++)
		if (nl->names[i].index == index)
			return strcpy(buf, nl->names[i].name);
	if (index <= 0 || !if_indextoname((unsigned)index, buf))
		return NULL;
	if (nl->nnames < sizeof(nl->names) / sizeof(nl->names[0])) {
		nl->names[nl->nnames].index = index;
		strcpy(nl->names[nl->nnames++].name, buf);
	}
	return buf;
}

struct nl_cache *tun_nl_dump(struct tun_nl *nl, enum tun_kind kind, struct roam_error *e)
{
	struct nl_cache **c = kind == TUN_ROUTE ? &nl->routes : &nl->addrs;
	int err;

	if (*c)
		return *c;
	err = kind == TUN_ROUTE ? rtnl_route_alloc_cache(nl->sk, AF_INET, 0, c)
				: rtnl_addr_alloc_cache(nl->sk, c);
	if (err < 0) {
		*c = NULL;
		roam_error_set(e, "netlink: dump %s: %s", kind == TUN_ROUTE ? "routes" : "addresses",
			       nl_geterror(err));
	}
	return *c;
}

static bool push(struct tun_objs *h, const struct tun_obj *o)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct tun_obj *v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return false;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n++] = *o;
	return true;
}

void tun_objs_free(struct tun_objs *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* an nl_addr as in_addr; 0.0.0.0 when absent or not IPv4 */
static struct in_addr in4(struct nl_addr *a)
{
	struct in_addr r = { 0 };

	if (a && nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4)
		memcpy(&r, nl_addr_get_binary_addr(a), 4);
	return r;
}

bool tun_sysctl_read(int *value, struct roam_error *e)
{
	char buf[16];

	if (roam_read_small(TUN_SYSCTL_FORWARD, buf, sizeof(buf)) < 0)
		return roam_error_set(e, "%s: %s", TUN_SYSCTL_FORWARD, strerror(errno));
	*value = atoi(buf);
	return true;
}

static bool wanted(const struct tunnel_plan *want, enum tun_kind kind)
{
	for (size_t i = 0; i < want->n; i++)
		if (want->obj[i].kind == kind)
			return true;
	return false;
}

static bool could_be_wanted(const struct tunnel_plan *want, const struct tun_obj *o)
{
	for (size_t i = 0; i < want->n; i++) {
		const struct tun_obj *w = &want->obj[i];

		if (w->kind != o->kind)
			continue;
		if (o->kind == TUN_RULE ? w->rule.prio == o->rule.prio : tun_same_object(w, o))
			return true;
	}
	return false;
}

static bool read_links(struct tun_nl *nl, const struct tunnel_plan *want, struct tun_objs *h,
		       struct roam_error *e)
{
	for (size_t i = 0; i < want->n; i++) {
		const struct tun_link *w = &want->obj[i].link;
		struct tun_obj o = { .kind = TUN_LINK };
		const struct link_kind *kind;
		struct rtnl_link *l;
		const char *type;
		bool ok;
		int err;

		if (want->obj[i].kind != TUN_LINK)
			continue;
		err = rtnl_link_get_kernel(nl->sk, 0, w->name, &l);
		if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
			continue;
		if (err < 0)
			return roam_error_set(e, "netlink: get link %s: %s", w->name, nl_geterror(err));
		kind = tun_link_kind(w);
		type = rtnl_link_get_type(l);
		if (!type || strcmp(type, kind->name)) {
			roam_error_set(e, "link %s exists and is not an %s link (type %s)", w->name,
				       kind->name, type ? type : "none");
			rtnl_link_put(l);
			return false;
		}
		snprintf(o.link.name, sizeof(o.link.name), "%s", w->name);
		o.link.kind = w->kind;
		o.link.mtu = rtnl_link_get_mtu(l);
		o.link.up = rtnl_link_get_flags(l) & IFF_UP;
		ok = kind->read(nl, l, &o.link, e);
		rtnl_link_put(l);
		if (!ok)
			return false;
		if (!push(h, &o))
			return roam_error_set(e, "out of memory");
	}
	return true;
}

struct read_ctx {
	struct tun_nl *nl;
	const struct tunnel_plan *want;
	struct tun_objs *h;
	bool oom;
};

static void addr_cb(struct nl_object *obj, void *arg)
{
	struct read_ctx *x = arg;
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct tun_obj o = { .kind = TUN_ADDR };
	struct nl_addr *peer = rtnl_addr_get_peer(a);

	if (rtnl_addr_get_family(a) != AF_INET ||
	    !tun_nl_ifname(x->nl, rtnl_addr_get_ifindex(a), o.addr.dev))
		return;
	o.addr.local = in4(rtnl_addr_get_local(a));
	if (peer && in4(peer).s_addr != o.addr.local.s_addr)
		o.addr.peer = in4(peer);
	if (could_be_wanted(x->want, &o) && !push(x->h, &o))
		x->oom = true;
}

static void route_cb(struct nl_object *obj, void *arg)
{
	struct read_ctx *x = arg;
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct tun_obj o = { .kind = TUN_ROUTE };
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_type(r) != RTN_UNICAST || rtnl_route_get_priority(r) != 0 ||
	    rtnl_route_get_tos(r) != 0 || rtnl_route_get_nnexthops(r) != 1)
		return;
	o.route.table = rtnl_route_get_table(r);
	o.route.dst.addr = in4(rtnl_route_get_dst(r));
	o.route.dst.len = (unsigned)nl_addr_get_prefixlen(rtnl_route_get_dst(r));
	nh = rtnl_route_nexthop_n(r, 0);
	if (!tun_nl_ifname(x->nl, rtnl_route_nh_get_ifindex(nh), o.route.dev))
		o.route.dev[0] = '\0';
	o.route.via = in4(rtnl_route_nh_get_gateway(nh));
	o.route.src = in4(rtnl_route_get_pref_src(r));
	o.route.onlink = rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK;
	if (could_be_wanted(x->want, &o) && !push(x->h, &o))
		x->oom = true;
}

static void rule_cb(struct nl_object *obj, void *arg)
{
	struct read_ctx *x = arg;
	struct rtnl_rule *r = (struct rtnl_rule *)obj;
	struct tun_obj o = { .kind = TUN_RULE };
	uint16_t lo = 0, hi = 0;

	if (rtnl_rule_get_family(r) != AF_INET)
		return;
	o.rule.prio = rtnl_rule_get_prio(r);
	o.rule.table = rtnl_rule_get_action(r) == FR_ACT_TO_TBL ? rtnl_rule_get_table(r) : 0;
	o.rule.from.addr = in4(rtnl_rule_get_src(r));
	o.rule.from.len = rtnl_rule_get_src(r) ? (unsigned)nl_addr_get_prefixlen(rtnl_rule_get_src(r)) : 0;
	rtnl_rule_get_ipproto(r, &o.rule.ipproto);
	if (rtnl_rule_get_dport(r, &lo, &hi) == 0 && lo == hi)
		o.rule.dport = lo;
	/* libnl says "no mark" as 0xffffffff */
	o.rule.fwmark = rtnl_rule_get_mark(r) == 0xffffffff ? 0 : rtnl_rule_get_mark(r);
	if (rtnl_rule_get_dst(r) || rtnl_rule_get_iif(r) ||
	    rtnl_rule_get_oif(r) || (lo != hi))
		o.rule.table = 0;	/* selectors we do not manage: never one of ours */
	if (could_be_wanted(x->want, &o) && !push(x->h, &o))
		x->oom = true;
}

static bool read_cache(struct tun_nl *nl, enum tun_kind kind, struct read_ctx *x,
		       struct roam_error *e)
{
	struct nl_cache *c = NULL;
	int err;

	if (kind == TUN_RULE) {
		if ((err = rtnl_rule_alloc_cache(nl->sk, AF_INET, &c)) < 0)
			return roam_error_set(e, "netlink: dump rules: %s", nl_geterror(err));
		nl_cache_foreach(c, rule_cb, x);
		nl_cache_free(c);
	} else {
		if (!(c = tun_nl_dump(nl, kind, e)))
			return false;
		nl_cache_foreach(c, kind == TUN_ADDR ? addr_cb : route_cb, x);
	}
	return !x->oom || roam_error_set(e, "out of memory");
}

static int neigh_cb(struct nl_msg *msg, void *arg)
{
	struct read_ctx *x = arg;
	struct rtnl_neigh *n;
	struct tun_obj o = { .kind = TUN_NEIGH };

	if (rtnl_neigh_parse(nlmsg_hdr(msg), &n) < 0)
		return NL_SKIP;
	if (rtnl_neigh_get_family(n) == AF_INET && (rtnl_neigh_get_flags(n) & NTF_PROXY) &&
	    tun_nl_ifname(x->nl, rtnl_neigh_get_ifindex(n), o.neigh.dev)) {
		o.neigh.dst = in4(rtnl_neigh_get_dst(n));
		if (could_be_wanted(x->want, &o) && !push(x->h, &o))
			x->oom = true;
	}
	rtnl_neigh_put(n);
	return NL_OK;
}

/* libnl's neighbour cache asks for ordinary entries only; the kernel dumps
 * proxy entries when the request's ndm_flags is exactly NTF_PROXY */
static bool read_proxies(struct tun_nl *nl, struct read_ctx *x, struct roam_error *e)
{
	struct ndmsg ndm = { .ndm_family = AF_INET, .ndm_flags = NTF_PROXY };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	if (!cb)
		return roam_error_set(e, "out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, neigh_cb, x);
	err = nl_send_simple(nl->sk, RTM_GETNEIGH, NLM_F_DUMP, &ndm, sizeof(ndm));
	if (err >= 0)
		err = nl_recvmsgs(nl->sk, cb);
	nl_cb_put(cb);
	if (err < 0)
		return roam_error_set(e, "netlink: dump proxy neighbours: %s", nl_geterror(err));
	return !x->oom || roam_error_set(e, "out of memory");
}

bool tun_nl_read(struct tun_nl *nl, const struct tunnel_plan *want, struct tun_objs *h,
		 struct roam_error *e)
{
	struct read_ctx x = { .nl = nl, .want = want, .h = h };

	if (wanted(want, TUN_SYSCTL)) {
		struct tun_obj o = { .kind = TUN_SYSCTL };

		if (!tun_sysctl_read(&o.sysctl.value, e))
			return false;
		if (!push(h, &o))
			return roam_error_set(e, "out of memory");
	}
	if (!read_links(nl, want, h, e))
		return false;
	if (wanted(want, TUN_ADDR) && !read_cache(nl, TUN_ADDR, &x, e))
		return false;
	if (wanted(want, TUN_ROUTE) && !read_cache(nl, TUN_ROUTE, &x, e))
		return false;
	if (wanted(want, TUN_RULE) && !read_cache(nl, TUN_RULE, &x, e))
		return false;
	return !wanted(want, TUN_NEIGH) || read_proxies(nl, &x, e);
}
