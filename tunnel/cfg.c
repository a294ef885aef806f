/* SPDX-License-Identifier: MIT */
/* cfg.c — [tunnel] keys to struct tunnel_cfg, with the checks per role. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "link.h"
#include "resolve.h"

#define SEC "tunnel"

struct cfg_ctx {
	const struct roam_conf *conf;
	struct roam_error *e;
};

bool tunnel_cfg_fail(const struct roam_conf *conf, const char *key, const char *what,
		     struct roam_error *e)
{
	char where[300];

	if (roam_conf_is_set(conf, SEC, key))
		roam_conf_where(conf, SEC, key, where, sizeof(where));
	else
		snprintf(where, sizeof(where), "%s",
			 roam_conf_path(conf) ? roam_conf_path(conf) : "(no file)");
	return roam_error_set(e, "%s: %s '%s' in [tunnel]", where, what, key);
}

static bool fail_at(struct cfg_ctx *x, const char *key, const char *what)
{
	return tunnel_cfg_fail(x->conf, key, what, x->e);
}

static bool need(struct cfg_ctx *x, const char *key)
{
	if (roam_conf_str(x->conf, SEC, key))
		return true;
	return fail_at(x, key, "missing key");
}

static bool refuse(struct cfg_ctx *x, const char *key, const char *role)
{
	char what[64];

	if (!roam_conf_is_set(x->conf, SEC, key))
		return true;
	snprintf(what, sizeof(what), "a %s does not use", role);
	return fail_at(x, key, what);
}

static bool get_ipv4(struct cfg_ctx *x, const char *key, struct in_addr *out)
{
	const char *s = roam_conf_str(x->conf, SEC, key);

	out->s_addr = 0;
	return !s || roam_parse_ipv4(s, out, NULL) || fail_at(x, key, "bad address for");
}

/* remote: an address, or a host name resolved when a command needs it */
static bool get_remote(struct cfg_ctx *x, struct tunnel_cfg *c)
{
	const char *s = roam_conf_str(x->conf, SEC, "remote");

	c->remote.s_addr = 0;
	c->remote_name[0] = '\0';
	if (!s || roam_parse_ipv4(s, &c->remote, NULL))
		return true;
	if (!tun_host_name_ok(s))
		return fail_at(x, "remote", "neither an IPv4 address nor a host name:");
	snprintf(c->remote_name, sizeof(c->remote_name), "%s", s);
	roam_conf_where(x->conf, SEC, "remote", c->remote_where, sizeof(c->remote_where));
	return true;
}

static bool get_name(struct cfg_ctx *x, const char *key, char *out)
{
	const char *s = roam_conf_str(x->conf, SEC, key);

	out[0] = '\0';
	if (!s)
		return true;
	if (strlen(s) >= IFNAMSIZ || strchr(s, '/') || strchr(s, ' '))
		return fail_at(x, key, "bad interface name (at most 15 characters) for");
	snprintf(out, IFNAMSIZ, "%s", s);
	return true;
}

bool tunnel_parse_port(const char *s, struct tun_port *out)
{
	const char *slash = strchr(s, '/');
	long port;

	if (!slash)
		return false;
	if (slash - s == 3 && !strncasecmp(s, "tcp", 3))
		out->ipproto = IPPROTO_TCP;
	else if (slash - s == 3 && !strncasecmp(s, "udp", 3))
		out->ipproto = IPPROTO_UDP;
	else
		return false;
	if (!roam_parse_long(slash + 1, 1, 65535, &port))
		return false;
	out->port = (uint16_t)port;
	return true;
}

static bool get_lists(struct cfg_ctx *x, struct tunnel_cfg *c)
{
	const char *const *v;
	size_t n = roam_conf_list(x->conf, SEC, "ports", &v);

	if (n > TUN_MAX_PORTS)
		return fail_at(x, "ports", "more than 8 entries in");
	for (size_t i = 0; i < n; i++)
		if (!tunnel_parse_port(v[i], &c->ports[i]))
			return fail_at(x, "ports", "expected PROTO/PORT (tcp/25, udp/53) in");
	c->nports = n;
	n = roam_conf_list(x->conf, SEC, "allow_from", &v);
	if (n > sizeof(c->allow_from) / sizeof(c->allow_from[0]))
		return fail_at(x, "allow_from", "more than 16 prefixes in");
	for (size_t i = 0; i < n; i++)
		if (!roam_parse_prefix(v[i], &c->allow_from[i], NULL))
			return fail_at(x, "allow_from", "bad prefix in");
	c->nallow = n;
	return true;
}

static bool get_common(struct cfg_ctx *x, struct tunnel_cfg *c)
{
	const char *local = roam_conf_str(x->conf, SEC, "local");
	const char *reg = roam_conf_str(x->conf, SEC, "register");
	const char *role = roam_conf_str(x->conf, SEC, "role");

	if (!need(x, "role"))
		return false;
	c->role = strcasecmp(role, "gateway") ? ROLE_MOBILE : ROLE_GATEWAY;
	/* the gateway's wireguard follows the mobile: it needs no remote */
	if ((!(c->role == ROLE_GATEWAY && c->kind->follows_peer) && !need(x, "remote")) ||
	    !need(x, "inner_local") || !need(x, "inner_remote") || !need(x, "exported"))
		return false;
	c->local_auto = !strcasecmp(local, "auto");
	if (!get_name(x, "name", c->name) || !get_name(x, "lan_dev", c->lan_dev))
		return false;
	if (!get_name(x, "uplink", c->uplink))
		return false;
	if (!strcasecmp(c->uplink, "auto"))
		c->uplink[0] = '\0';
	if ((!c->local_auto && !get_ipv4(x, "local", &c->local)) ||
	    !get_remote(x, c) || !get_ipv4(x, "inner_local", &c->inner_local) ||
	    !get_ipv4(x, "inner_remote", &c->inner_remote) || !get_ipv4(x, "exported", &c->exported))
		return false;
	if (!c->remote_name[0] && (c->remote.s_addr || !c->kind->follows_peer) &&
	    !roam_ipv4_is_unicast(c->remote))
		return fail_at(x, "remote", "not a unicast address:");
	c->table = (uint32_t)roam_conf_int(x->conf, SEC, "table");
	c->priority = (uint32_t)roam_conf_int(x->conf, SEC, "priority");
	c->fwmark = (uint32_t)roam_conf_int(x->conf, SEC, "fwmark");
	c->mtu = (unsigned)roam_conf_int(x->conf, SEC, "mtu");
	c->ttl = (unsigned)roam_conf_int(x->conf, SEC, "ttl");
	if (reg && (reg[0] == '-' || strpbrk(reg, " \t")))
		return fail_at(x, "register", "expected an ssh destination [user@]host in");
	snprintf(c->reg, sizeof(c->reg), "%s", reg ? reg : "");
	c->reg_timeout = (unsigned)roam_conf_int(x->conf, SEC, "register_timeout");
	if (roam_conf_is_set(x->conf, SEC, "home_net")) {
		c->has_home_net = true;
		roam_parse_prefix(roam_conf_str(x->conf, SEC, "home_net"), &c->home_net, NULL);
	}
	return get_lists(x, c);
}

static bool check_role(struct cfg_ctx *x, const struct tunnel_cfg *c)
{
	static const char *const mobile_only[] = {
		"table", "priority", "home_net", "ports", "fwmark", "register", "register_timeout",
	};

	if (c->table == TUN_TABLE_MAIN || c->table == 255 || c->table == 253)
		return fail_at(x, "table", "table must not be main, local or default:");
	if (c->role == ROLE_GATEWAY) {
		if (!need(x, "lan_dev"))
			return false;
		for (size_t i = 0; i < sizeof(mobile_only) / sizeof(*mobile_only); i++)
			if (!refuse(x, mobile_only[i], "gateway"))
				return false;
		return true;
	}
	if (!refuse(x, "lan_dev", "mobile") || !refuse(x, "allow_from", "mobile"))
		return false;
	return true;
}

/* keys of the other kinds make no sense here: a typo or a half-done switch */
static bool check_kind(struct cfg_ctx *x, const struct link_kind *kind)
{
	char what[64];

	snprintf(what, sizeof(what), "encap = %s does not use", kind->name);
	for (size_t k = 0; tun_link_kinds[k]; k++)
		for (size_t i = 0; tun_link_kinds[k] != kind && tun_link_kinds[k]->keys[i]; i++)
			if (roam_conf_is_set(x->conf, SEC, tun_link_kinds[k]->keys[i]))
				return fail_at(x, tun_link_kinds[k]->keys[i], what);
	return true;
}

bool tunnel_cfg_from_conf(const struct roam_conf *conf, struct tunnel_cfg *cfg,
			  struct roam_error *e)
{
	struct cfg_ctx x = { .conf = conf, .e = e };

	memset(cfg, 0, sizeof(*cfg));
	/* the key table allows only the kinds' names */
	cfg->kind = tun_link_kind_find(roam_conf_str(conf, SEC, "encap"));
	if (!cfg->kind)
		return fail_at(&x, "encap", "unknown link kind in");
	if (!check_kind(&x, cfg->kind) || !get_common(&x, cfg) || !check_role(&x, cfg))
		return false;
	if (cfg->kind->cfg && !cfg->kind->cfg(conf, cfg, e))
		return false;
	if (cfg->inner_local.s_addr == cfg->inner_remote.s_addr)
		return fail_at(&x, "inner_remote", "same address as inner_local:");
	return true;
}
