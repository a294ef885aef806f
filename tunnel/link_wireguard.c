/* SPDX-License-Identifier: MIT */
/*
 * link_wireguard.c — the wireguard link kind: UDP, so it crosses NAT; the
 * gateway's kernel follows the mobile's endpoint by itself (the latest
 * authenticated packet), and persistent keepalive holds the mobile's NAT
 * mapping. Config, plan, equality and rendering here; the kernel half
 * (rtnetlink link + generic netlink "wireguard") in wg_genl.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "cfg.h"
#include "link.h"
#include "wg.h"

#define SEC "tunnel"
#define WG_DEFAULT_PORT 51820
#define WG_DEFAULT_KEEPALIVE 25

void tun_wg_key_to_base64(const uint8_t key[TUN_WG_KEY_LEN], char out[TUN_WG_KEY_B64])
{
	roam_base64_encode(key, TUN_WG_KEY_LEN, true, out);
}

/* exactly what `wg genkey` and `wg pubkey` print: 43 characters and one '='
 * (roam_base64_decode refuses left-over bits that are not zero: one
 * spelling per key) */
bool tun_wg_key_from_base64(const char *s, uint8_t key[TUN_WG_KEY_LEN])
{
	size_t len = strlen(s);

	return len == TUN_WG_KEY_B64 - 1 && s[len - 1] == '=' &&
	       roam_base64_decode(s, len, key, TUN_WG_KEY_LEN) == TUN_WG_KEY_LEN;
}

static bool fail_where(const struct roam_conf *conf, const char *key, struct roam_error *e,
		       const char *what, const char *arg)
{
	char where[300];

	roam_conf_where(conf, SEC, key, where, sizeof(where));
	return roam_error_set(e, "%s: %s %s: %s", where, key, arg, what);
}

/* The private key file, checked like ssh checks an identity file: a regular
 * file, owned by root or us, that no group or other can read or write. */
static bool read_private_key(const struct roam_conf *conf, struct tun_wg *wg,
			     struct roam_error *e)
{
	const char *path = roam_conf_str(conf, SEC, "private_key");
	char buf[128], what[96];
	struct stat st;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(wg->key_file) || path[0] != '/')
		return fail_where(conf, "private_key", e, "expected an absolute path", path);
	snprintf(wg->key_file, sizeof(wg->key_file), "%s", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return fail_where(conf, "private_key", e, strerror(errno), path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail_where(conf, "private_key", e, "not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(what, sizeof(what), "mode %04o lets others read it; refusing it (chmod 600)",
			 (unsigned)(st.st_mode & 07777));
		return fail_where(conf, "private_key", e, what, path);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		snprintf(what, sizeof(what), "owned by uid %u, neither root nor you; refusing it",
			 (unsigned)st.st_uid);
		return fail_where(conf, "private_key", e, what, path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return fail_where(conf, "private_key", e, strerror(errno), path);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	bool ok = tun_wg_key_from_base64(buf, wg->private_key);

	explicit_bzero(buf, sizeof(buf));
	return ok || fail_where(conf, "private_key", e,
				"not a key as `wg genkey` writes it (base64 of 32 bytes)", path);
}

static bool wg_cfg(const struct roam_conf *conf, struct tunnel_cfg *c, struct roam_error *e)
{
	struct tun_wg *wg = &c->wg;
	const char *peer = roam_conf_str(conf, SEC, "peer_public_key");
	bool gw = c->role == ROLE_GATEWAY;

	if (!roam_conf_str(conf, SEC, "private_key"))
		return tunnel_cfg_fail(conf, "private_key", "encap = wireguard needs", e);
	if (!peer)
		return tunnel_cfg_fail(conf, "peer_public_key", "encap = wireguard needs", e);
	if (!tun_wg_key_from_base64(peer, wg->peer_key))
		return tunnel_cfg_fail(conf, "peer_public_key",
				       "not base64 of 32 bytes (as `wg pubkey` prints):", e);
	if (!read_private_key(conf, wg, e))
		return false;
	wg->listen_port = roam_conf_is_set(conf, SEC, "listen_port") ?
			  (uint16_t)roam_conf_int(conf, SEC, "listen_port") :
			  gw ? WG_DEFAULT_PORT : 0;
	wg->keepalive = roam_conf_is_set(conf, SEC, "keepalive") ?
			(uint16_t)roam_conf_int(conf, SEC, "keepalive") :
			gw ? 0 : WG_DEFAULT_KEEPALIVE;
	wg->endpoint_port = (uint16_t)roam_conf_int(conf, SEC, "remote_port");
	/* the gateway's endpoint follows the mobile: remote is a first guess only */
	wg->endpoint_managed = !gw;
	return true;
}

static void wg_plan(struct tun_link *l, const struct tunnel_cfg *c, const struct tunnel_env *env)
{
	(void)env;
	l->wg = c->wg;
	l->local.s_addr = 0;	/* the socket is bound to the port, not an address */
	l->ttl = 0;
	l->remote = c->remote;
	if (c->role == ROLE_GATEWAY) {
		l->wg.allowed[0] = (struct roam_prefix){ .addr = c->inner_remote, .len = 32 };
		l->wg.allowed[1] = (struct roam_prefix){ .addr = c->exported, .len = 32 };
		l->wg.nallowed = 2;
	} else {	/* everything: policy routing decides what enters the tunnel */
		l->wg.allowed[0] = (struct roam_prefix){ .len = 0 };
		l->wg.nallowed = 1;
	}
}

static bool has_allowed(const struct tun_wg *wg, struct roam_prefix p)
{
	for (size_t i = 0; i < wg->nallowed; i++)
		if (wg->allowed[i].len == p.len && wg->allowed[i].addr.s_addr == p.addr.s_addr)
			return true;
	return false;
}

static bool wg_equal(const struct tun_link *want, const struct tun_link *have)
{
	const struct tun_wg *w = &want->wg, *h = &have->wg;

	if (memcmp(w->private_key, h->private_key, TUN_WG_KEY_LEN) || h->npeers != 1 ||
	    memcmp(w->peer_key, h->peer_key, TUN_WG_KEY_LEN) || w->keepalive != h->keepalive ||
	    (w->listen_port && w->listen_port != h->listen_port) || w->nallowed != h->nallowed)
		return false;
	for (size_t i = 0; i < w->nallowed; i++)
		if (!has_allowed(h, w->allowed[i]))
			return false;
	return !w->endpoint_managed || (want->remote.s_addr == have->remote.s_addr &&
					w->endpoint_port == h->endpoint_port);
}

static void put_allowed(struct tun_out *o, const struct tun_wg *wg)
{
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < wg->nallowed; i++)
		tun_put(o, "%s%s/%u", i ? "," : "", tun_ip(wg->allowed[i].addr, a), wg->allowed[i].len);
}

/* `wg set`'s words; the key itself is never printed, only its file */
static void wg_render(struct tun_out *o, const struct tun_link *l, enum tun_link_render how)
{
	const struct tun_wg *wg = &l->wg;
	char peer[TUN_WG_KEY_B64], a[INET_ADDRSTRLEN];
	bool desc = how == TUN_LINK_DESCRIBE;

	tun_wg_key_to_base64(wg->peer_key, peer);
	tun_put(o, "type wireguard");
	if (!desc)
		tun_put(o, "\nwg set %s private-key %s", l->name, wg->key_file);
	if (wg->listen_port)
		tun_put(o, " listen-port %u", wg->listen_port);
	tun_put(o, " peer %s", desc && wg->npeers > 1 ? "(several)" : peer);
	if (l->remote.s_addr)
		tun_put(o, " endpoint %s:%u", tun_ip(l->remote, a), wg->endpoint_port);
	if (wg->keepalive || !desc)
		tun_put(o, " persistent-keepalive %u", wg->keepalive);
	tun_put(o, " allowed-ips ");
	put_allowed(o, wg);
}

static void wg_status(FILE *out, const struct tun_link *have)
{
	const struct tun_wg *wg = &have->wg;
	char pub[TUN_WG_KEY_B64] = "(none)", a[INET_ADDRSTRLEN];
	time_t now = time(NULL);

	if (wg->has_public_key)
		tun_wg_key_to_base64(wg->public_key, pub);
	fprintf(out, "%-9s    public key %s\n", "", pub);
	if (have->remote.s_addr)
		fprintf(out, "%-9s    endpoint %s:%u\n", "", tun_ip(have->remote, a),
			wg->endpoint_port);
	if (wg->last_handshake)
		fprintf(out, "%-9s    latest handshake %lld s ago\n", "",
			(long long)(now - wg->last_handshake));
	else
		fprintf(out, "%-9s    latest handshake never\n", "");
}

static const char *const wg_keys[] = {
	"private_key", "peer_public_key", "listen_port", "keepalive", "remote_port", NULL,
};

const struct link_kind tun_link_wireguard = {
	.name = "wireguard",
	.module = "wireguard",
	.default_mtu = 1420,	/* wg-quick's: 1500 less 80 (40 IPv6, 8 UDP, 32 wireguard) */
	.follows_peer = true,
	.keys = wg_keys,
	.cfg = wg_cfg,
	.plan = wg_plan,
	.equal = wg_equal,
	.render = wg_render,
	.status = wg_status,
	.add = tun_wg_add,
	.change = tun_wg_change,
	.read = tun_wg_read,
};
