/* SPDX-License-Identifier: MIT */
/* render.c — objects as iproute2 commands and descriptions. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "link.h"
#include "render.h"

void tun_put(struct tun_out *o, const char *fmt, ...)
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

const char *tun_ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void put_prefix(struct tun_out *o, struct roam_prefix p)
{
	char a[INET_ADDRSTRLEN];

	if (p.len == 0)
		tun_put(o, "default");
	else
		tun_put(o, "%s/%u", tun_ip(p.addr, a), p.len);
}

static void put_link_params(struct tun_out *o, const struct tun_link *l, enum tun_link_render how)
{
	tun_link_kind(l)->render(o, l, how);
}

static void put_addr(struct tun_out *o, const struct tun_addr *ad)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	tun_put(o, "%s", tun_ip(ad->local, a));
	if (ad->peer.s_addr)
		tun_put(o, " peer %s", tun_ip(ad->peer, b));
	tun_put(o, " dev %s", ad->dev);
}

static void put_route(struct tun_out *o, const struct tun_route *r, bool full)
{
	char a[INET_ADDRSTRLEN];

	put_prefix(o, r->dst);
	if (full && r->via.s_addr)
		tun_put(o, " via %s", tun_ip(r->via, a));
	if (full && r->dev[0])
		tun_put(o, " dev %s", r->dev);
	if (full && r->src.s_addr)
		tun_put(o, " src %s", tun_ip(r->src, a));
	if (full && r->onlink)
		tun_put(o, " onlink");
	if (r->table != TUN_TABLE_MAIN)
		tun_put(o, " table %u", r->table);
}

static void put_rule(struct tun_out *o, const struct tun_rule *r)
{
	char a[INET_ADDRSTRLEN];

	if (r->from.len)
		tun_put(o, "from %s%s", tun_ip(r->from.addr, a), r->from.len == 32 ? "" : "/");
	if (r->from.len && r->from.len != 32)
		tun_put(o, "%u", r->from.len);
	if (r->from.len)
		tun_put(o, " ");
	if (r->ipproto)
		tun_put(o, "ipproto %s ", r->ipproto == IPPROTO_TCP ? "tcp" :
				      r->ipproto == IPPROTO_UDP ? "udp" : "?");
	if (r->dport)
		tun_put(o, "dport %u ", r->dport);
	if (r->fwmark)
		tun_put(o, "fwmark 0x%x ", r->fwmark);
	tun_put(o, "lookup %u priority %u", r->table, r->prio);
}

void tun_render_add(const struct tun_obj *obj, char *buf, size_t len)
{
	struct tun_out o = { buf, len, 0 };
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (obj->kind) {
	case TUN_SYSCTL:
		tun_put(&o, "sysctl -w net.ipv4.ip_forward=%d", obj->sysctl.value);
		break;
	case TUN_LINK:
		tun_put(&o, "ip link add %s ", obj->link.name);
		if (obj->link.mtu)
			tun_put(&o, "mtu %u ", obj->link.mtu);
		put_link_params(&o, &obj->link, TUN_LINK_ADD);
		tun_put(&o, "\nip link set %s up", obj->link.name);
		break;
	case TUN_ADDR:
		tun_put(&o, "ip addr add ");
		put_addr(&o, &obj->addr);
		break;
	case TUN_ROUTE:
		tun_put(&o, "ip route add ");
		put_route(&o, &obj->route, true);
		tun_put(&o, " proto static");
		break;
	case TUN_RULE:
		tun_put(&o, "ip rule add ");
		put_rule(&o, &obj->rule);
		break;
	case TUN_NEIGH:
		tun_put(&o, "ip neigh add proxy %s dev %s", tun_ip(obj->neigh.dst, a), obj->neigh.dev);
		break;
	}
}

void tun_render_change(const struct tun_obj *want, const struct tun_obj *have, char *buf,
		       size_t len)
{
	struct tun_out o = { buf, len, 0 };

	buf[0] = '\0';
	switch (want->kind) {
	case TUN_LINK:
		/* in place: a link set down would lose its routes */
		tun_put(&o, "ip link set %s ", want->link.name);
		if (want->link.mtu)
			tun_put(&o, "mtu %u ", want->link.mtu);
		tun_put(&o, "up ");
		put_link_params(&o, &want->link, TUN_LINK_CHANGE);
		break;
	case TUN_ROUTE:
		tun_put(&o, "ip route replace ");
		put_route(&o, &want->route, true);
		tun_put(&o, " proto static");
		break;
	case TUN_ADDR:
		tun_render_del(have, buf, len);
		o.used = strlen(buf);
		tun_put(&o, "\nip addr add ");
		put_addr(&o, &want->addr);
		break;
	default:
		tun_render_add(want, buf, len);
	}
}

void tun_render_del(const struct tun_obj *obj, char *buf, size_t len)
{
	struct tun_out o = { buf, len, 0 };
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (obj->kind) {
	case TUN_SYSCTL:
		tun_put(&o, "sysctl -w net.ipv4.ip_forward=%d", obj->sysctl.value);
		break;
	case TUN_LINK:
		tun_put(&o, "ip link del %s", obj->link.name);
		break;
	case TUN_ADDR:
		tun_put(&o, "ip addr del ");
		put_addr(&o, &obj->addr);
		break;
	case TUN_ROUTE:
		tun_put(&o, "ip route del ");
		put_route(&o, &obj->route, false);
		break;
	case TUN_RULE:
		tun_put(&o, "ip rule del ");
		put_rule(&o, &obj->rule);
		break;
	case TUN_NEIGH:
		tun_put(&o, "ip neigh del proxy %s dev %s", tun_ip(obj->neigh.dst, a), obj->neigh.dev);
		break;
	}
}

void tun_describe(const struct tun_obj *obj, char *buf, size_t len)
{
	struct tun_out o = { buf, len, 0 };
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	switch (obj->kind) {
	case TUN_SYSCTL:
		tun_put(&o, "sysctl net.ipv4.ip_forward=%d", obj->sysctl.value);
		break;
	case TUN_LINK:
		tun_put(&o, "link %s ", obj->link.name);
		put_link_params(&o, &obj->link, TUN_LINK_DESCRIBE);
		if (obj->link.mtu)
			tun_put(&o, " mtu %u", obj->link.mtu);
		tun_put(&o, " %s", obj->link.up ? "up" : "down");
		break;
	case TUN_ADDR:
		tun_put(&o, "addr ");
		put_addr(&o, &obj->addr);
		break;
	case TUN_ROUTE:
		tun_put(&o, "route ");
		put_route(&o, &obj->route, true);
		if (obj->route.table == TUN_TABLE_MAIN)
			tun_put(&o, " table main");
		break;
	case TUN_RULE:
		tun_put(&o, "rule ");
		put_rule(&o, &obj->rule);
		break;
	case TUN_NEIGH:
		tun_put(&o, "neigh proxy %s dev %s", tun_ip(obj->neigh.dst, a), obj->neigh.dev);
		break;
	}
}
