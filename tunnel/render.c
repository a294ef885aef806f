/* SPDX-License-Identifier: MIT */
/* render.c — objects as iproute2 commands and descriptions. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "render.h"

/* an appending printf that never overruns and never fails */
struct out {
	char *buf;
	size_t len, used;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void put_prefix(struct out *o, struct roam_prefix p)
{
	char a[INET_ADDRSTRLEN];

	if (p.len == 0)
		put(o, "default");
	else
		put(o, "%s/%u", ip(p.addr, a), p.len);
}

static void put_link_params(struct out *o, const struct tun_link *l)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	put(o, "type ipip local %s remote %s ttl %u", ip(l->local, a), ip(l->remote, b), l->ttl);
}

static void put_addr(struct out *o, const struct tun_addr *ad)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	put(o, "%s", ip(ad->local, a));
	if (ad->peer.s_addr)
		put(o, " peer %s", ip(ad->peer, b));
	put(o, " dev %s", ad->dev);
}

static void put_route(struct out *o, const struct tun_route *r, bool full)
{
	char a[INET_ADDRSTRLEN];

	put_prefix(o, r->dst);
	if (full && r->via.s_addr)
		put(o, " via %s", ip(r->via, a));
	if (full && r->dev[0])
		put(o, " dev %s", r->dev);
	if (full && r->src.s_addr)
		put(o, " src %s", ip(r->src, a));
	if (full && r->onlink)
		put(o, " onlink");
	if (r->table != TUN_TABLE_MAIN)
		put(o, " table %u", r->table);
}

static void put_rule(struct out *o, const struct tun_rule *r)
{
	char a[INET_ADDRSTRLEN];

	if (r->from.len)
		put(o, "from %s%s", ip(r->from.addr, a), r->from.len == 32 ? "" : "/");
	if (r->from.len && r->from.len != 32)
		put(o, "%u", r->from.len);
	if (r->from.len)
		put(o, " ");
	if (r->ipproto)
		put(o, "ipproto %s ", r->ipproto == IPPROTO_TCP ? "tcp" :
				      r->ipproto == IPPROTO_UDP ? "udp" : "?");
	if (r->dport)
		put(o, "dport %u ", r->dport);
	if (r->fwmark)
		put(o, "fwmark 0x%x ", r->fwmark);
	put(o, "lookup %u priority %u", r->table, r->prio);
}

void tun_render_add(const struct tun_obj *obj, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (obj->kind) {
	case TUN_SYSCTL:
		put(&o, "sysctl -w net.ipv4.ip_forward=%d", obj->sysctl.value);
		break;
	case TUN_LINK:
		put(&o, "ip link add %s ", obj->link.name);
		if (obj->link.mtu)
			put(&o, "mtu %u ", obj->link.mtu);
		put_link_params(&o, &obj->link);
		put(&o, "\nip link set %s up", obj->link.name);
		break;
	case TUN_ADDR:
		put(&o, "ip addr add ");
		put_addr(&o, &obj->addr);
		break;
	case TUN_ROUTE:
		put(&o, "ip route add ");
		put_route(&o, &obj->route, true);
		put(&o, " proto static");
		break;
	case TUN_RULE:
		put(&o, "ip rule add ");
		put_rule(&o, &obj->rule);
		break;
	case TUN_NEIGH:
		put(&o, "ip neigh add proxy %s dev %s", ip(obj->neigh.dst, a), obj->neigh.dev);
		break;
	}
}

void tun_render_change(const struct tun_obj *want, const struct tun_obj *have, char *buf,
		       size_t len)
{
	struct out o = { buf, len, 0 };

	buf[0] = '\0';
	switch (want->kind) {
	case TUN_LINK:
		/* in place: a link set down would lose its routes */
		put(&o, "ip link set %s ", want->link.name);
		if (want->link.mtu)
			put(&o, "mtu %u ", want->link.mtu);
		put(&o, "up ");
		put_link_params(&o, &want->link);
		break;
	case TUN_ROUTE:
		put(&o, "ip route replace ");
		put_route(&o, &want->route, true);
		put(&o, " proto static");
		break;
	case TUN_ADDR:
		tun_render_del(have, buf, len);
		o.used = strlen(buf);
		put(&o, "\nip addr add ");
		put_addr(&o, &want->addr);
		break;
	default:
		tun_render_add(want, buf, len);
	}
}

void tun_render_del(const struct tun_obj *obj, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (obj->kind) {
	case TUN_SYSCTL:
		put(&o, "sysctl -w net.ipv4.ip_forward=%d", obj->sysctl.value);
		break;
	case TUN_LINK:
		put(&o, "ip link del %s", obj->link.name);
		break;
	case TUN_ADDR:
		put(&o, "ip addr del ");
		put_addr(&o, &obj->addr);
		break;
	case TUN_ROUTE:
		put(&o, "ip route del ");
		put_route(&o, &obj->route, false);
		break;
	case TUN_RULE:
		put(&o, "ip rule del ");
		put_rule(&o, &obj->rule);
		break;
	case TUN_NEIGH:
		put(&o, "ip neigh del proxy %s dev %s", ip(obj->neigh.dst, a), obj->neigh.dev);
		break;
	}
}

void tun_describe(const struct tun_obj *obj, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (obj->kind) {
	case TUN_SYSCTL:
		put(&o, "sysctl net.ipv4.ip_forward=%d", obj->sysctl.value);
		break;
	case TUN_LINK:
		put(&o, "link %s ", obj->link.name);
		put_link_params(&o, &obj->link);
		if (obj->link.mtu)
			put(&o, " mtu %u", obj->link.mtu);
		put(&o, " %s", obj->link.up ? "up" : "down");
		break;
	case TUN_ADDR:
		put(&o, "addr ");
		put_addr(&o, &obj->addr);
		break;
	case TUN_ROUTE:
		put(&o, "route ");
		put_route(&o, &obj->route, true);
		if (obj->route.table == TUN_TABLE_MAIN)
			put(&o, " table main");
		break;
	case TUN_RULE:
		put(&o, "rule ");
		put_rule(&o, &obj->rule);
		break;
	case TUN_NEIGH:
		put(&o, "neigh proxy %s dev %s", ip(obj->neigh.dst, a), obj->neigh.dev);
		break;
	}
}
