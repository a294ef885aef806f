/* SPDX-License-Identifier: MIT */
/* roam-tunnel's [tunnel] checks: every error names FILE:LINE (or the file). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "../../tunnel/cfg.h"
#include "../../tunnel/diff.h"
#include "../../tunnel/render.h"
#include "../../tunnel/tunnel.h"
#include "../../tunnel/wg.h"
#include "testdir.h"

static char path[64];

static const char base_gateway[] =
	"[tunnel]\n"
	"role = gateway\n"
	"local = 198.51.100.238\n"
	"remote = 203.0.113.230\n"
	"inner_local = 192.0.2.10\n"
	"inner_remote = 192.0.2.20\n"
	"exported = 198.51.100.180\n";

/* loads text as a config file; returns whether [tunnel] is valid */
static bool load(const char *text, struct tunnel_cfg *cfg, struct roam_error *e)
{
	static const struct roam_section *const secs[] = { &roam_tunnel_keys };
	struct roam_conf *conf;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/tmp/test_tunnel_cfg.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	conf = roam_conf_load(path, 0, secs, 1, e);
	ok = conf && tunnel_cfg_from_conf(conf, cfg, e);
	roam_conf_free(conf);
	unlink(path);
	return ok;
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct tunnel_cfg cfg;
	struct roam_error e = { "" };
	char want[128];

	assert_false(load(text, &cfg, &e));
	snprintf(want, sizeof(want), "%s%s", path, where);
	if (strncmp(e.msg, want, strlen(want)) || !strstr(e.msg, what))
		fail_msg("got '%s', want '%s…%s'", e.msg, want, what);
}

static void gateway_config_loads(void **state)
{
	struct tunnel_cfg cfg;
	struct roam_error e = { "" };
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "%slan_dev = eth0\nallow_from = 203.0.113.0/24, 198.51.100.0/24\n",
		 base_gateway);
	if (!load(text, &cfg, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.role, ROLE_GATEWAY);
	assert_string_equal(cfg.name, "tunl1");
	assert_false(cfg.local_auto);
	assert_string_equal(cfg.lan_dev, "eth0");
	assert_int_equal(cfg.nallow, 2);
	assert_int_equal(cfg.ttl, 64);
	assert_int_equal(cfg.uplink[0], '\0');
}

static void mobile_config_loads(void **state)
{
	struct tunnel_cfg cfg;
	struct roam_error e = { "" };

	(void)state;
	if (!load("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		  "inner_remote = 192.0.2.10\nexported = 198.51.100.180\nports = tcp/25 udp/53\n"
		  "table = 201\npriority = 500\nfwmark = 9\nuplink = ppp0\nmtu = 1400\n"
		  "register = root@198.51.100.238\nhome_net = 198.51.100.0/24\n", &cfg, &e))
		fail_msg("%s", e.msg);
	assert_true(cfg.local_auto);
	assert_int_equal(cfg.nports, 2);
	assert_int_equal(cfg.ports[0].ipproto, IPPROTO_TCP);
	assert_int_equal(cfg.ports[1].port, 53);
	assert_int_equal(cfg.table, 201);
	assert_int_equal(cfg.priority, 500);
	assert_int_equal(cfg.fwmark, 9);
	assert_int_equal(cfg.mtu, 1400);
	assert_string_equal(cfg.uplink, "ppp0");
	assert_string_equal(cfg.reg, "root@198.51.100.238");
	assert_true(cfg.has_home_net);
	assert_int_equal(cfg.home_net.len, 24);
}

static void errors_name_file_and_line(void **state)
{
	char text[1024];

	(void)state;
	expect_error("[tunnel]\nrole = gateway\nremote = 203.0.113.230\ntagret = 1\n", ":4:",
		     "unknown key 'tagret'");
	expect_error("[tunnel]\nrole = router\n", ":2:", "expected one of gateway|mobile");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.300\n", ":3:", "'remote'");
	snprintf(text, sizeof(text), "%slan_dev = eth0\ntable = 200\n", base_gateway);
	expect_error(text, ":9:", "a gateway does not use 'table'");
	snprintf(text, sizeof(text), "%slan_dev = eth0\nports = tcp/25\n", base_gateway);
	expect_error(text, ":9:", "a gateway does not use 'ports'");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.10\nexported = 198.51.100.180\nports = tcp/25, smtp\n",
		     ":7:", "expected PROTO/PORT");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.10\nexported = 198.51.100.180\nlan_dev = eth0\n",
		     ":7:", "a mobile does not use 'lan_dev'");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.10\nexported = 198.51.100.180\ntable = 254\n",
		     ":7:", "must not be main");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.10\nexported = 198.51.100.180\nname = a-very-long-name0\n",
		     ":7:", "bad interface name");
	expect_error("[tunnel]\nrole = mobile\nremote = 224.0.0.1\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.10\nexported = 198.51.100.180\n", ":3:", "unicast");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.20\nexported = 198.51.100.180\n", ":5:",
		     "same address as inner_local");
	expect_error("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		     "inner_remote = 192.0.2.10\nexported = 198.51.100.180\nregister = -oProxyCommand=x\n",
		     ":7:", "ssh destination");
}

static void missing_keys_name_the_file(void **state)
{
	(void)state;
	expect_error("[tunnel]\nrole = gateway\n", ": missing key", "'remote'");
	expect_error(base_gateway, ": missing key", "'lan_dev'");
	expect_error("[tunnel]\nremote = 203.0.113.1\n", ": missing key", "'role'");
}

static void ports_parse(void **state)
{
	struct tun_port p;

	(void)state;
	assert_true(tunnel_parse_port("tcp/25", &p));
	assert_int_equal(p.ipproto, IPPROTO_TCP);
	assert_int_equal(p.port, 25);
	assert_true(tunnel_parse_port("UDP/65535", &p));
	assert_int_equal(p.ipproto, IPPROTO_UDP);
	assert_false(tunnel_parse_port("tcp/0", &p));
	assert_false(tunnel_parse_port("tcp/65536", &p));
	assert_false(tunnel_parse_port("icmp/1", &p));
	assert_false(tunnel_parse_port("25", &p));
	assert_false(tunnel_parse_port("tcp/25x", &p));
}

/* from a config file to the -n output, without a kernel */
static void config_to_plan(void **state)
{
	struct tunnel_cfg cfg;
	struct tunnel_env env = { .uplink = "wlan0" };
	struct tunnel_plan p;
	struct roam_error e = { "" };
	char cmd[TUN_RENDER_MAX], all[4096] = "";

	(void)state;
	if (!load("[tunnel]\nrole = mobile\nremote = 198.51.100.238\ninner_local = 192.0.2.20\n"
		  "inner_remote = 192.0.2.10\nexported = 198.51.100.180\nname = roam0\nmtu = 1400\n"
		  "ttl = 0\ntable = 7\npriority = 300\nports = udp/53\n", &cfg, &e))
		fail_msg("%s", e.msg);
	inet_pton(AF_INET, "203.0.113.193", &env.router);
	inet_pton(AF_INET, "203.0.113.230", &env.local);
	assert_true(tunnel_plan_build(&cfg, &env, &p, &e));
	for (size_t i = 0; i < p.n; i++) {
		tun_render_add(&p.obj[i], cmd, sizeof(cmd));
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s\n", cmd);
	}
	assert_string_equal(all,
		"ip route add 198.51.100.238/32 via 203.0.113.193 dev wlan0 proto static\n"
		"ip link add roam0 mtu 1400 type ipip local 203.0.113.230 remote 198.51.100.238 ttl 0\n"
		"ip link set roam0 up\n"
		"ip addr add 192.0.2.20 peer 192.0.2.10 dev roam0\n"
		"ip addr add 198.51.100.180 dev roam0\n"
		"ip route add default via 192.0.2.10 dev roam0 src 198.51.100.180 table 7 proto static\n"
		"ip rule add from 198.51.100.180 lookup 7 priority 300\n"
		"ip rule add ipproto udp dport 53 lookup 7 priority 301\n");
}


/* ---- encap = wireguard ------------------------------------------------------ */

/* keys as `wg genkey` / `wg pubkey` print them (generated once for these tests) */
#define GW_PRIV "0Gq1ZJfRzn2YiOs/NFiW1E2ASrj7Lo4sNZZTCSBAa3k="
#define MOB_PUB "Da52L1GL82X21ywF2JQ2guGd8dU1duG2kQ3zDgiTBQ8="
#define GW_PUB "4h+0jgzlPirSrIB/zxOY2diCInxiMyLRkURWOhyaOVU="

/* a key file of this content and mode in the test directory */
static const char *key_file(const char *name, const char *text, mode_t mode)
{
	const char *p = test_path(name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static void wg_conf(char *buf, size_t len, const char *role, const char *key, const char *extra)
{
	bool gw = !strcmp(role, "gateway");

	snprintf(buf, len, "[tunnel]\nrole = %s\nencap = wireguard\nname = wg1\n%s"
		 "inner_local = %s\ninner_remote = %s\nexported = 198.51.100.180\n%s"
		 "private_key = %s\npeer_public_key = %s\n%s",
		 role, gw ? "" : "remote = 198.51.100.238\n", gw ? "192.0.2.10" : "192.0.2.20",
		 gw ? "192.0.2.20" : "192.0.2.10", gw ? "lan_dev = eth0\n" : "", key,
		 gw ? MOB_PUB : GW_PUB, extra);
}

static void plan_text(const struct tunnel_cfg *cfg, struct tunnel_plan *p, char *all, size_t len)
{
	struct tunnel_env env = { .uplink = "wlan0" };
	struct roam_error e = { "" };
	char cmd[TUN_RENDER_MAX];

	inet_pton(AF_INET, "203.0.113.193", &env.router);
	inet_pton(AF_INET, "203.0.113.70", &env.local);
	if (!tunnel_plan_build(cfg, &env, p, &e))
		fail_msg("%s", e.msg);
	all[0] = '\0';
	for (size_t i = 0; i < p->n; i++) {
		tun_render_add(&p->obj[i], cmd, sizeof(cmd));
		snprintf(all + strlen(all), len - strlen(all), "%s\n", cmd);
	}
}

static void wireguard_gateway_plan(void **state)
{
	struct tunnel_cfg cfg;
	struct tunnel_plan p;
	struct roam_error e = { "" };
	char text[1024], all[4096], want[1024];
	const char *key = key_file("gw.key", GW_PRIV "\n", 0600);

	(void)state;
	wg_conf(text, sizeof(text), "gateway", key, "");
	if (!load(text, &cfg, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.wg.listen_port, 51820);
	assert_int_equal(cfg.wg.keepalive, 0);
	assert_int_equal(cfg.remote.s_addr, 0);
	plan_text(&cfg, &p, all, sizeof(all));
	snprintf(want, sizeof(want),
		 "sysctl -w net.ipv4.ip_forward=1\n"
		 "ip link add wg1 mtu 1420 type wireguard\n"
		 "wg set wg1 private-key %s listen-port 51820 peer " MOB_PUB
		 " persistent-keepalive 0 allowed-ips 192.0.2.20/32,198.51.100.180/32\n"
		 "ip link set wg1 up\n"
		 "ip addr add 192.0.2.10 peer 192.0.2.20 dev wg1\n"
		 "ip route add 198.51.100.180/32 dev wg1 proto static\n"
		 "ip neigh add proxy 198.51.100.180 dev eth0\n", key);
	assert_string_equal(all, want);
	assert_null(strstr(all, GW_PRIV));	/* the key itself is never rendered */
}

static void wireguard_mobile_plan(void **state)
{
	struct tunnel_cfg cfg;
	struct tunnel_plan p;
	struct roam_error e = { "" };
	char text[1024], all[4096], want[1024];
	const char *key = key_file("mob.key", GW_PRIV, 0400);	/* no newline is fine too */

	(void)state;
	wg_conf(text, sizeof(text), "mobile", key, "mtu = 1380\nremote_port = 4500\nports = tcp/25\n");
	if (!load(text, &cfg, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(cfg.wg.listen_port, 0);
	assert_int_equal(cfg.wg.keepalive, 25);
	plan_text(&cfg, &p, all, sizeof(all));
	snprintf(want, sizeof(want),
		 "ip route add 198.51.100.238/32 via 203.0.113.193 dev wlan0 proto static\n"
		 "ip link add wg1 mtu 1380 type wireguard\n"
		 "wg set wg1 private-key %s peer " GW_PUB " endpoint 198.51.100.238:4500"
		 " persistent-keepalive 25 allowed-ips 0.0.0.0/0\n"
		 "ip link set wg1 up\n"
		 "ip addr add 192.0.2.20 peer 192.0.2.10 dev wg1\n"
		 "ip addr add 198.51.100.180 dev wg1\n"
		 "ip route add default via 192.0.2.10 dev wg1 src 198.51.100.180 table 200 proto static\n"
		 "ip rule add from 198.51.100.180 lookup 200 priority 1000\n"
		 "ip rule add ipproto tcp dport 25 lookup 200 priority 1001\n", key);
	assert_string_equal(all, want);
}

/* what the kernel would hand back for the plan's link, and what is still "present" */
static void wireguard_equality(void **state)
{
	struct tunnel_cfg cfg;
	struct tunnel_plan p;
	struct roam_error e = { "" };
	struct tun_obj want, have;
	char text[1024], all[4096];
	const char *key = key_file("eq.key", GW_PRIV "\n", 0600);

	(void)state;
	for (int gw = 0; gw < 2; gw++) {
		wg_conf(text, sizeof(text), gw ? "gateway" : "mobile", key, "");
		if (!load(text, &cfg, &e))
			fail_msg("%s", e.msg);
		plan_text(&cfg, &p, all, sizeof(all));
		want = p.obj[gw ? 1 : 1];	/* sysctl or pinned route first, then the link */
		assert_int_equal(want.kind, TUN_LINK);
		have = want;
		have.link.wg.npeers = 1;
		have.link.wg.listen_port = 41000;	/* the mobile's random port */
		if (gw)
			have.link.wg.listen_port = 51820;
		assert_true(tun_equal(&want, &have));
		/* the endpoint: the gateway follows the mobile, the mobile keeps the gateway */
		inet_pton(AF_INET, "203.0.113.99", &have.link.remote);
		assert_int_equal(tun_equal(&want, &have), gw);
		have = want;
		have.link.wg.npeers = 1;
		have.link.wg.listen_port = gw ? 51820 : 1;
		have.link.wg.private_key[0] ^= 1;
		assert_false(tun_equal(&want, &have));
		have.link.wg.private_key[0] ^= 1;
		have.link.wg.npeers = 2;
		assert_false(tun_equal(&want, &have));
		have.link.wg.npeers = 1;
		have.link.wg.nallowed++;
		assert_false(tun_equal(&want, &have));
		have.link.wg.nallowed--;
		have.link.wg.keepalive++;
		assert_false(tun_equal(&want, &have));
		have.link.wg.keepalive--;
		have.link.mtu = 1500;
		assert_false(tun_equal(&want, &have));
	}
}

static void wireguard_bad_input(void **state)
{
	char text[1024];
	const char *good = key_file("good.key", GW_PRIV "\n", 0600);
	const char *k;

	(void)state;
	k = key_file("open.key", GW_PRIV "\n", 0644);
	wg_conf(text, sizeof(text), "mobile", k, "");
	expect_error(text, ":9:", "mode 0644 lets others read it; refusing it");
	k = key_file("group.key", GW_PRIV "\n", 0640);
	wg_conf(text, sizeof(text), "mobile", k, "");
	expect_error(text, ":9:", "mode 0640");
	k = key_file("short.key", "0Gq1ZJfRzn2YiOs/NFiW1E2ASrj7Lo4sNZZTCSBAa3=\n", 0600);
	wg_conf(text, sizeof(text), "mobile", k, "");
	expect_error(text, ":9:", "not a key as `wg genkey` writes it");
	k = key_file("long.key", GW_PRIV GW_PRIV "\n", 0600);
	wg_conf(text, sizeof(text), "mobile", k, "");
	expect_error(text, ":9:", "not a key");
	k = key_file("hex.key", "d06ab564a7d1ce7d9888eb3f345896d44d804ab8fb2e8e2c3596530920406b79\n",
		     0600);
	wg_conf(text, sizeof(text), "mobile", k, "");
	expect_error(text, ":9:", "not a key");
	k = key_file("theirs.key", GW_PRIV "\n", 0600);
	if (geteuid() == 0 && chown(k, 65534, 65534) == 0) {	/* as root: someone else's file */
		wg_conf(text, sizeof(text), "mobile", k, "");
		expect_error(text, ":9:", "owned by uid 65534, neither root nor you");
	}
	wg_conf(text, sizeof(text), "mobile", test_path("nosuch.key"), "");
	expect_error(text, ":9:", "No such file or directory");
	wg_conf(text, sizeof(text), "mobile", "relative.key", "");
	expect_error(text, ":9:", "expected an absolute path");
	wg_conf(text, sizeof(text), "mobile", test_dir, "");
	expect_error(text, ":9:", "not a regular file");

	/* peer keys that are not base64 of 32 bytes */
	static const char *const bad_peer[] = {
		"4h+0jgzlPirSrIB/zxOY2diCInxiMyLRkURWOhyaOVU",	/* no '=' */
		"4h+0jgzlPirSrIB/zxOY2diCInxiMyLRkURWOhyaOV=",	/* 43 */
		"4h+0jgzlPirSrIB/zxOY2diCInxiMyLRkURWOhyaOVV=",	/* trailing bits set */
		"4h+0jgzlPirSrIB/zxOY2diCInxiMyLRkURWOhya*VU=",	/* not base64 */
		"4h+0jgzlPirSrIB/zxOY2diCInxiMyLRkURWOhyaOVU=4h+0",
	};
	for (size_t i = 0; i < sizeof(bad_peer) / sizeof(*bad_peer); i++) {
		wg_conf(text, sizeof(text), "mobile", good, "");
		snprintf(strstr(text, "peer_public_key"), 200, "peer_public_key = %s\n", bad_peer[i]);
		expect_error(text, ":10:", "not base64 of 32 bytes");
	}

	/* keys of the other kind, keys the kind needs */
	wg_conf(text, sizeof(text), "mobile", good, "ttl = 64\n");
	expect_error(text, ":11:", "encap = wireguard does not use 'ttl'");
	wg_conf(text, sizeof(text), "mobile", good, "register = root@198.51.100.238\n");
	expect_error(text, ":11:", "encap = wireguard does not use 'register'");
	wg_conf(text, sizeof(text), "gateway", good, "allow_from = 203.0.113.0/24\n");
	expect_error(text, ":11:", "encap = wireguard does not use 'allow_from'");
	wg_conf(text, sizeof(text), "mobile", good, "listen_port = 0\n");
	expect_error(text, ":11:", "'listen_port'");
	snprintf(text, sizeof(text), "%slan_dev = eth0\npeer_public_key = " MOB_PUB "\n", base_gateway);
	expect_error(text, ":9:", "encap = ipip does not use 'peer_public_key'");
	expect_error("[tunnel]\nrole = mobile\nencap = wireguard\nremote = 198.51.100.238\n"
		     "inner_local = 192.0.2.20\ninner_remote = 192.0.2.10\nexported = 198.51.100.180\n",
		     ": encap = wireguard needs 'private_key'", "");
	snprintf(text, sizeof(text), "%slan_dev = eth0\nencap = gre\n", base_gateway);
	expect_error(text, ":9:", "expected one of ipip|wireguard");
	/* the mobile needs the gateway's address */
	wg_conf(text, sizeof(text), "mobile", good, "");
	memmove(strstr(text, "remote = "), strstr(text, "inner_local"), strlen(strstr(text, "inner_local")) + 1);
	expect_error(text, ": missing key", "'remote'");
}

static void wireguard_keys_base64(void **state)
{
	uint8_t key[TUN_WG_KEY_LEN];
	char back[TUN_WG_KEY_B64];

	(void)state;
	assert_true(tun_wg_key_from_base64(GW_PUB, key));
	tun_wg_key_to_base64(key, back);
	assert_string_equal(back, GW_PUB);
	memset(key, 0xff, sizeof(key));
	tun_wg_key_to_base64(key, back);
	assert_string_equal(back, "//////////////////////////////////////////8=");
	/* one spelling per key: nothing looser than `wg pubkey` prints */
	assert_true(tun_wg_key_from_base64("//////////////////////////////////////////8=", key));
	assert_false(tun_wg_key_from_base64("//////////////////////////////////////////9=", key));
	assert_false(tun_wg_key_from_base64("//////////////////////////////////////////8", key));
	assert_false(tun_wg_key_from_base64("/////////////////////////////////////////8==", key));
	assert_false(tun_wg_key_from_base64("//////////////////////////////////////////8=\n", key));
	assert_false(tun_wg_key_from_base64("////////////////////// ///////////////////8=", key));
	assert_false(tun_wg_key_from_base64("", key));
}

/* the forced command of an ipip setup, left in place after the switch: exit 0, says so */
static void wireguard_register_is_a_noop(void **state)
{
	struct tunnel_cfg cfg;
	struct roam_error e = { "" };
	char text[1024], *out = NULL;
	size_t len = 0;
	const char *key = key_file("reg.key", GW_PRIV "\n", 0600);
	struct tunnel_run r = { .cfg = &cfg, .lock = -1 };

	(void)state;
	wg_conf(text, sizeof(text), "gateway", key, "");
	if (!load(text, &cfg, &e))
		fail_msg("%s", e.msg);
	r.out = open_memstream(&out, &len);
	/* no netlink socket at all: nothing is read or written */
	assert_int_equal(tunnel_register(&r, "203.0.113.99 4000 198.51.100.238 22", &e), TUNNEL_OK);
	fclose(r.out);
	assert_string_equal(out, "wg1: wireguard needs no registration\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gateway_config_loads),
		cmocka_unit_test(mobile_config_loads),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(missing_keys_name_the_file),
		cmocka_unit_test(ports_parse),
		cmocka_unit_test(config_to_plan),
		cmocka_unit_test(wireguard_gateway_plan),
		cmocka_unit_test(wireguard_mobile_plan),
		cmocka_unit_test(wireguard_equality),
		cmocka_unit_test(wireguard_bad_input),
		cmocka_unit_test(wireguard_keys_base64),
		cmocka_unit_test(wireguard_register_is_a_noop),
	};

	return cmocka_run_group_tests_name("tunnel_cfg", tests, testdir_setup, testdir_teardown);
}
