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

#include "../../tunnel/cfg.h"
#include "../../tunnel/render.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gateway_config_loads),
		cmocka_unit_test(mobile_config_loads),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(missing_keys_name_the_file),
		cmocka_unit_test(ports_parse),
		cmocka_unit_test(config_to_plan),
	};

	return cmocka_run_group_tests_name("tunnel_cfg", tests, NULL, NULL);
}
