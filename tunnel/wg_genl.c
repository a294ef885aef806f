/* SPDX-License-Identifier: MIT */
/*
 * wg_genl.c — the wireguard link in the kernel: rtnetlink creates the link
 * (kind "wireguard"), generic netlink (family "wireguard", uapi
 * linux/wireguard.h) sets its private key, port and one peer
 * (WG_CMD_SET_DEVICE) and reads them back (WG_CMD_GET_DEVICE, a dump), as
 * wg(8) does, without running it.
 */
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <string.h>

#include "nl.h"
#include "wg.h"

/* the kernel takes nested attributes with or without NLA_F_NESTED; say it, as wg(8) does */
static struct nlattr *nest(struct nl_msg *m, int type)
{
	struct nlattr *a = nla_nest_start(m, type);

	if (a)
		a->nla_type |= NLA_F_NESTED;
	return a;
}

static bool put_allowed(struct nl_msg *m, const struct tun_wg *wg)
{
	struct nlattr *ips = nest(m, WGPEER_A_ALLOWEDIPS), *ip;

	if (!ips)
		return false;
	for (size_t i = 0; i < wg->nallowed; i++) {
		if (!(ip = nest(m, (int)i)) || nla_put_u16(m, WGALLOWEDIP_A_FAMILY, AF_INET) < 0 ||
		    nla_put(m, WGALLOWEDIP_A_IPADDR, 4, &wg->allowed[i].addr) < 0 ||
		    nla_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, (uint8_t)wg->allowed[i].len) < 0)
			return false;
		nla_nest_end(m, ip);
	}
	nla_nest_end(m, ips);
	return true;
}

static bool put_peer(struct nl_msg *m, const struct tun_link *w, bool endpoint)
{
	const struct tun_wg *wg = &w->wg;
	struct nlattr *peers = nest(m, WGDEVICE_A_PEERS), *peer = peers ? nest(m, 0) : NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(wg->endpoint_port),
				   .sin_addr = w->remote };

	if (!peer || nla_put(m, WGPEER_A_PUBLIC_KEY, TUN_WG_KEY_LEN, wg->peer_key) < 0 ||
	    nla_put_u32(m, WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS) < 0 ||
	    nla_put_u16(m, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, wg->keepalive) < 0)
		return false;
	if (endpoint && w->remote.s_addr && nla_put(m, WGPEER_A_ENDPOINT, sizeof(sin), &sin) < 0)
		return false;
	if (!put_allowed(m, wg))
		return false;
	nla_nest_end(m, peer);
	nla_nest_end(m, peers);
	return true;
}

/* a WG_CMD_SET_DEVICE request for the link NAME, or NULL with *err */
static struct nl_msg *set_device(struct tun_nl *nl, const char *name, struct nl_sock **sk,
				 int *err)
{
	int family = tun_nl_genl(nl, WG_GENL_NAME, sk);
	struct nl_msg *m;

	*err = family < 0 ? family : -NLE_NOMEM;
	if (family < 0 || !(m = nlmsg_alloc()))
		return NULL;
	if (genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, WG_CMD_SET_DEVICE,
			WG_GENL_VERSION) &&
	    nla_put_string(m, WGDEVICE_A_IFNAME, name) >= 0)
		return m;
	nlmsg_free(m);
	return NULL;
}

static int send_acked(struct nl_sock *sk, struct nl_msg *m)
{
	int err = nl_send_auto(sk, m);

	return err < 0 ? err : nl_wait_for_ack(sk);
}

/* WG_CMD_SET_DEVICE: key, port, the peer. replace: drop every other peer (a
 * new peer key); endpoint: set the peer's endpoint (the gateway keeps the one
 * its kernel learned from the mobile) */
static int wg_set(struct tun_nl *nl, const struct tun_link *w, bool replace, bool endpoint)
{
	struct nl_sock *sk;
	int err;
	struct nl_msg *m = set_device(nl, w->name, &sk, &err);

	if (!m)
		return err;
	if (nla_put(m, WGDEVICE_A_PRIVATE_KEY, TUN_WG_KEY_LEN, w->wg.private_key) < 0 ||
	    nla_put_u32(m, WGDEVICE_A_FLAGS, replace ? WGDEVICE_F_REPLACE_PEERS : 0) < 0 ||
	    (w->wg.listen_port && nla_put_u16(m, WGDEVICE_A_LISTEN_PORT, w->wg.listen_port) < 0) ||
	    !put_peer(m, w, endpoint))
		err = -NLE_NOMEM;
	else
		err = send_acked(sk, m);
	/* the private key was in it */
	explicit_bzero(nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	return err;
}

struct get_ctx {
	struct tun_link *out;
	uint8_t last_peer[TUN_WG_KEY_LEN];
};

static void read_allowed(struct tun_wg *wg, struct nlattr *list)
{
	struct nlattr *ip, *a[WGALLOWEDIP_A_MAX + 1];
	int rem;

	nla_for_each_nested(ip, list, rem) {
		struct roam_prefix p = { .len = 33 };	/* not IPv4: matches nothing we plan */

		if (nla_parse_nested(a, WGALLOWEDIP_A_MAX, ip, NULL) < 0)
			continue;
		if (a[WGALLOWEDIP_A_FAMILY] && nla_get_u16(a[WGALLOWEDIP_A_FAMILY]) == AF_INET &&
		    a[WGALLOWEDIP_A_IPADDR] && nla_len(a[WGALLOWEDIP_A_IPADDR]) == 4 &&
		    a[WGALLOWEDIP_A_CIDR_MASK]) {
			memcpy(&p.addr, nla_data(a[WGALLOWEDIP_A_IPADDR]), 4);
			p.len = nla_get_u8(a[WGALLOWEDIP_A_CIDR_MASK]);
		}
		if (wg->nallowed < TUN_WG_MAX_ALLOWED)
			wg->allowed[wg->nallowed] = p;
		wg->nallowed++;	/* counts past the array: more than we plan is different */
	}
}

static void read_peer(struct get_ctx *x, struct nlattr *peer)
{
	struct tun_wg *wg = &x->out->wg;
	struct nlattr *p[WGPEER_A_MAX + 1];
	struct sockaddr_in sin;
	struct __kernel_timespec ts;
	const uint8_t *key;

	if (nla_parse_nested(p, WGPEER_A_MAX, peer, NULL) < 0 || !p[WGPEER_A_PUBLIC_KEY] ||
	    nla_len(p[WGPEER_A_PUBLIC_KEY]) != TUN_WG_KEY_LEN)
		return;
	key = nla_data(p[WGPEER_A_PUBLIC_KEY]);
	/* a peer with many allowed IPs goes on in the next message, key repeated */
	if (!wg->npeers || memcmp(key, x->last_peer, TUN_WG_KEY_LEN)) {
		memcpy(x->last_peer, key, TUN_WG_KEY_LEN);
		if (++wg->npeers == 1)
			memcpy(wg->peer_key, key, TUN_WG_KEY_LEN);
	}
	if (wg->npeers != 1)
		return;		/* status describes the first; equality fails anyway */
	if (p[WGPEER_A_ENDPOINT] && nla_len(p[WGPEER_A_ENDPOINT]) == sizeof(sin)) {
		memcpy(&sin, nla_data(p[WGPEER_A_ENDPOINT]), sizeof(sin));
		if (sin.sin_family == AF_INET) {
			x->out->remote = sin.sin_addr;
			wg->endpoint_port = ntohs(sin.sin_port);
		}
	}
	if (p[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		wg->keepalive = nla_get_u16(p[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	if (p[WGPEER_A_LAST_HANDSHAKE_TIME] &&
	    nla_len(p[WGPEER_A_LAST_HANDSHAKE_TIME]) == sizeof(ts)) {
		memcpy(&ts, nla_data(p[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		wg->last_handshake = ts.tv_sec;
	}
	if (p[WGPEER_A_ALLOWEDIPS])
		read_allowed(wg, p[WGPEER_A_ALLOWEDIPS]);
}

static int get_cb(struct nl_msg *msg, void *arg)
{
	struct get_ctx *x = arg;
	struct tun_wg *wg = &x->out->wg;
	struct nlattr *tb[WGDEVICE_A_MAX + 1], *peer;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, WGDEVICE_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[WGDEVICE_A_PRIVATE_KEY] && nla_len(tb[WGDEVICE_A_PRIVATE_KEY]) == TUN_WG_KEY_LEN)
		memcpy(wg->private_key, nla_data(tb[WGDEVICE_A_PRIVATE_KEY]), TUN_WG_KEY_LEN);
	if (tb[WGDEVICE_A_PUBLIC_KEY] && nla_len(tb[WGDEVICE_A_PUBLIC_KEY]) == TUN_WG_KEY_LEN) {
		memcpy(wg->public_key, nla_data(tb[WGDEVICE_A_PUBLIC_KEY]), TUN_WG_KEY_LEN);
		wg->has_public_key = true;
	}
	if (tb[WGDEVICE_A_LISTEN_PORT])
		wg->listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	if (tb[WGDEVICE_A_PEERS])
		nla_for_each_nested(peer, tb[WGDEVICE_A_PEERS], rem)
			read_peer(x, peer);
	return NL_OK;
}

/* WG_CMD_GET_DEVICE (a dump only) into out's wireguard fields and remote */
static int wg_get(struct tun_nl *nl, const char *name, struct tun_link *out)
{
	struct nl_sock *sk;
	int family = tun_nl_genl(nl, WG_GENL_NAME, &sk), err = -NLE_NOMEM;
	struct get_ctx x = { .out = out };
	struct nl_msg *m;
	struct nl_cb *cb;

	if (family < 0)
		return family;
	memset(&out->wg, 0, sizeof(out->wg));
	out->remote.s_addr = 0;
	if (!(m = nlmsg_alloc()))
		return -NLE_NOMEM;
	if (genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP, WG_CMD_GET_DEVICE,
			WG_GENL_VERSION) && nla_put_string(m, WGDEVICE_A_IFNAME, name) >= 0)
		err = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (err < 0)
		return err;
	if (!(cb = nl_cb_alloc(NL_CB_DEFAULT)))
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, get_cb, &x);
	err = nl_recvmsgs(sk, cb);
	nl_cb_put(cb);
	return err;
}

static void link_delete(struct tun_nl *nl, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();

	if (!l)
		return;
	rtnl_link_set_name(l, name);
	rtnl_link_delete(tun_nl_sock(nl), l);
	rtnl_link_put(l);
}

int tun_wg_add(struct tun_nl *nl, const struct tun_link *w)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int err;

	if (!l)
		return -NLE_NOMEM;
	rtnl_link_set_name(l, w->name);
	/* libnl 3.7 has no wireguard ops: the kind alone, which is all it takes */
	err = rtnl_link_set_type(l, "wireguard");
	if (w->mtu)
		rtnl_link_set_mtu(l, w->mtu);
	/* up before the peer is set: a keepalive then goes out at once */
	if (w->up)
		rtnl_link_set_flags(l, IFF_UP);
	if (err >= 0)
		err = rtnl_link_add(tun_nl_sock(nl), l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	if (err < 0)
		return err;
	/* a link without its key is no tunnel: it goes again, and the error stays */
	if ((err = wg_set(nl, w, true, true)) < 0)
		link_delete(nl, w->name);
	return err;
}

int tun_wg_change(struct tun_nl *nl, const struct tun_link *w, struct rtnl_link *orig)
{
	struct rtnl_link *l = rtnl_link_alloc();
	struct tun_link cur;
	bool same_peer;
	int err;

	if (!l)
		return -NLE_NOMEM;
	if (w->mtu)
		rtnl_link_set_mtu(l, w->mtu);
	if (w->up)
		rtnl_link_set_flags(l, IFF_UP);
	err = rtnl_link_change(tun_nl_sock(nl), orig, l, 0);
	rtnl_link_put(l);
	if (err < 0 || (err = wg_get(nl, w->name, &cur)) < 0)
		return err;
	/* the same peer is changed in place: the gateway keeps the endpoint it learned */
	same_peer = cur.wg.npeers == 1 && !memcmp(cur.wg.peer_key, w->wg.peer_key, TUN_WG_KEY_LEN);
	explicit_bzero(cur.wg.private_key, TUN_WG_KEY_LEN);
	return wg_set(nl, w, !same_peer, w->wg.endpoint_managed || !same_peer);
}

/* the peer's persistent keepalive, nothing else of the device or peer */
static int set_keepalive(struct tun_nl *nl, const struct tun_link *w, uint16_t secs)
{
	struct nl_sock *sk;
	struct nlattr *peers, *peer;
	int err;
	struct nl_msg *m = set_device(nl, w->name, &sk, &err);

	if (!m)
		return err;
	if ((peers = nest(m, WGDEVICE_A_PEERS)) && (peer = nest(m, 0)) &&
	    nla_put(m, WGPEER_A_PUBLIC_KEY, TUN_WG_KEY_LEN, w->wg.peer_key) >= 0 &&
	    nla_put_u16(m, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, secs) >= 0) {
		nla_nest_end(m, peer);
		nla_nest_end(m, peers);
		if ((err = send_acked(sk, m)) >= 0)
			tun_nl_count(nl);
	}
	nlmsg_free(m);
	return err;
}

/* The gateway learns the mobile's new endpoint from its next authenticated
 * packet, and without one it sends the home address to the old one for up
 * to a keepalive. Turning persistent keepalive off and on again makes the
 * kernel send a keepalive (a handshake first if the session is stale) right
 * away (drivers/net/wireguard/netlink.c, set_peer): that is the packet. With
 * keepalive = 0 the user wants no packet the laptop did not send itself. */
int tun_wg_announce(struct tun_nl *nl, const struct tun_link *w, char *cmd, size_t len)
{
	char peer[TUN_WG_KEY_B64];
	int err;

	cmd[0] = '\0';
	if (!w->wg.keepalive)
		return 0;
	tun_wg_key_to_base64(w->wg.peer_key, peer);
	snprintf(cmd, len, "wg set %s peer %s persistent-keepalive 0\n"
		 "wg set %s peer %s persistent-keepalive %u", w->name, peer, w->name, peer,
		 w->wg.keepalive);
	if (!nl)
		return 0;	/* dry run: the commands only */
	err = set_keepalive(nl, w, 0);
	return err < 0 ? err : set_keepalive(nl, w, w->wg.keepalive);
}

bool tun_wg_read(struct tun_nl *nl, struct rtnl_link *l, struct tun_link *out,
		 struct roam_error *e)
{
	int err = wg_get(nl, rtnl_link_get_name(l), out);

	return err >= 0 || roam_error_set(e, "netlink: get wireguard device %s: %s",
					  rtnl_link_get_name(l), nl_geterror(err));
}
