/* SPDX-License-Identifier: MIT */
/* roam-tunnel's pure parts: plan, diff, `ip` rendering, state file, registration checks. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../tunnel/diff.h"
#include "../../tunnel/render.h"
#include "../../tunnel/state.h"
#include "../../tunnel/tunnel.h"

static struct in_addr A(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct tunnel_cfg gateway_cfg(void)
{
	struct tunnel_cfg c = { .role = ROLE_GATEWAY, .name = "tunl1", .ttl = 64, .table = 200,
				.priority = 1000, .lan_dev = "br0" };

	c.local = A("198.51.100.238");
	c.remote = A("203.0.113.230");
	c.inner_local = A("192.0.2.10");
	c.inner_remote = A("192.0.2.20");
	c.exported = A("198.51.100.180");
	return c;
}

static struct tunnel_cfg mobile_cfg(void)
{
	struct tunnel_cfg c = { .role = ROLE_MOBILE, .name = "tunl1", .ttl = 64, .table = 200,
				.priority = 1000, .local_auto = true };

	c.remote = A("198.51.100.238");
	c.inner_local = A("192.0.2.20");
	c.inner_remote = A("192.0.2.10");
	c.exported = A("198.51.100.180");
	return c;
}

static struct tunnel_env guest_env(void)
{
	struct tunnel_env env = { .uplink = "eth0" };

	env.router = A("203.0.113.193");
	env.local = A("203.0.113.230");
	return env;
}

/* the plan as -n prints it: every object's add command, one per line */
static void render_plan(const struct tunnel_plan *p, char *buf, size_t len)
{
	char cmd[TUN_RENDER_MAX];

	buf[0] = '\0';
	for (size_t i = 0; i < p->n; i++) {
		tun_render_add(&p->obj[i], cmd, sizeof(cmd));
		snprintf(buf + strlen(buf), len - strlen(buf), "%s\n", cmd);
	}
}

static void gateway_plan_is_the_seed_commands(void **state)
{
	struct tunnel_cfg c = gateway_cfg();
	struct tunnel_env env = { 0 };
	struct tunnel_plan p;
	char out[4096];

	(void)state;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	render_plan(&p, out, sizeof(out));
	assert_string_equal(out,
		"sysctl -w net.ipv4.ip_forward=1\n"
		"ip link add tunl1 type ipip local 198.51.100.238 remote 203.0.113.230 ttl 64\n"
		"ip link set tunl1 up\n"
		"ip addr add 192.0.2.10 peer 192.0.2.20 dev tunl1\n"
		"ip route add 198.51.100.180/32 dev tunl1 proto static\n"
		"ip neigh add proxy 198.51.100.180 dev br0\n");
}

static void gateway_plan_uses_registered_remote(void **state)
{
	struct tunnel_cfg c = gateway_cfg();
	struct tunnel_env env = { 0 };
	struct tunnel_plan p;

	(void)state;
	env.registered = A("203.0.113.10");
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	assert_int_equal(p.obj[1].kind, TUN_LINK);
	assert_int_equal(p.obj[1].link.remote.s_addr, A("203.0.113.10").s_addr);
}

static void mobile_plan_pins_and_routes(void **state)
{
	struct tunnel_cfg c = mobile_cfg();
	struct tunnel_env env = guest_env();
	struct tunnel_plan p;
	char out[4096];

	(void)state;
	c.has_home_net = true;
	assert_true(roam_parse_prefix("198.51.100.0/24", &c.home_net, NULL));
	c.ports[0] = (struct tun_port){ IPPROTO_TCP, 25 };
	c.ports[1] = (struct tun_port){ IPPROTO_UDP, 53 };
	c.nports = 2;
	c.fwmark = 7;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	render_plan(&p, out, sizeof(out));
	assert_string_equal(out,
		"ip route add 198.51.100.238/32 via 203.0.113.193 dev eth0 proto static\n"
		"ip link add tunl1 type ipip local 203.0.113.230 remote 198.51.100.238 ttl 64\n"
		"ip link set tunl1 up\n"
		"ip addr add 192.0.2.20 peer 192.0.2.10 dev tunl1\n"
		"ip addr add 198.51.100.180 dev tunl1\n"
		"ip route add default via 192.0.2.10 dev tunl1 src 198.51.100.180 table 200 proto static\n"
		"ip route add 198.51.100.0/24 dev tunl1 src 198.51.100.180 proto static\n"
		"ip rule add from 198.51.100.180 lookup 200 priority 1000\n"
		"ip rule add ipproto tcp dport 25 lookup 200 priority 1001\n"
		"ip rule add ipproto udp dport 53 lookup 200 priority 1002\n"
		"ip rule add fwmark 0x7 lookup 200 priority 1003\n");
}

static void mobile_plan_ppp_and_onlink(void **state)
{
	struct tunnel_cfg c = mobile_cfg();
	struct tunnel_env env = { .uplink = "ppp0" };
	struct tunnel_plan p;
	char cmd[TUN_RENDER_MAX];

	(void)state;
	env.local = A("203.0.113.5");
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	tun_render_add(&p.obj[0], cmd, sizeof(cmd));
	assert_string_equal(cmd, "ip route add 198.51.100.238/32 dev ppp0 proto static");

	env = guest_env();
	env.router_onlink = true;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	tun_render_add(&p.obj[0], cmd, sizeof(cmd));
	assert_string_equal(cmd,
		"ip route add 198.51.100.238/32 via 203.0.113.193 dev eth0 onlink proto static");
}

static void onlink_only_outside_the_subnets(void **state)
{
	struct roam_prefix nets[2];

	(void)state;
	assert_true(roam_parse_prefix("203.0.113.192/26", &nets[0], NULL));
	assert_true(roam_parse_prefix("192.0.2.10", &nets[1], NULL));
	assert_false(tunnel_needs_onlink(A("203.0.113.193"), nets, 2));
	assert_false(tunnel_needs_onlink(A("192.0.2.10"), nets, 2));
	assert_true(tunnel_needs_onlink(A("203.0.113.1"), nets, 2));
	assert_true(tunnel_needs_onlink(A("203.0.113.1"), nets, 0));
}

static void mobile_plan_needs_an_uplink(void **state)
{
	struct tunnel_cfg c = mobile_cfg();
	struct tunnel_env env = { 0 };
	struct tunnel_plan p;
	struct roam_error e;

	(void)state;
	assert_false(tunnel_plan_build(&c, &env, &p, &e));
	assert_non_null(strstr(e.msg, "local = auto"));
	c.local_auto = false;
	c.local = A("203.0.113.230");
	assert_false(tunnel_plan_build(&c, &env, &p, &e));
	assert_non_null(strstr(e.msg, "no uplink"));
}

static void diff_finds_present_missing_different(void **state)
{
	struct tunnel_cfg c = mobile_cfg();
	struct tunnel_env env = guest_env();
	struct tunnel_plan p;
	struct tun_obj cur[4];
	struct tun_objs have = { cur, 4, 4 };
	struct tun_diff d;

	(void)state;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	cur[0] = p.obj[1];			/* the link, but local moved */
	cur[0].link.local = A("203.0.113.10");
	cur[1] = p.obj[2];			/* inner address as wanted */
	cur[2] = p.obj[0];			/* pinned route via the old router */
	cur[2].route.via = A("203.0.113.1");
	cur[3] = p.obj[5];			/* the rule, at another priority: not ours */
	cur[3].rule.prio = 999;
	tunnel_diff(&p, &have, &d);
	assert_int_equal(d.n, p.n);
	assert_int_equal(d.state[0], TUN_DIFFERENT);
	assert_int_equal(d.current[0].route.via.s_addr, A("203.0.113.1").s_addr);
	assert_int_equal(d.state[1], TUN_DIFFERENT);
	assert_int_equal(d.state[2], TUN_PRESENT);
	assert_int_equal(d.state[3], TUN_MISSING);
	assert_int_equal(d.state[5], TUN_MISSING);
	assert_int_equal(d.present, 1);
	assert_int_equal(d.different, 2);
	assert_int_equal(d.missing, p.n - 3);
}

static void diff_of_everything_is_all_present(void **state)
{
	struct tunnel_cfg c = gateway_cfg();
	struct tunnel_env env = { 0 };
	struct tunnel_plan p;
	struct tun_obj cur[TUN_MAX_OBJS];
	struct tun_objs have = { cur, 0, TUN_MAX_OBJS };
	struct tun_diff d;

	(void)state;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	for (size_t i = p.n; i--;)	/* the kernel's order is not the plan's */
		cur[have.n++] = p.obj[i];
	cur[have.n] = p.obj[1];		/* a link mtu we do not manage does not matter */
	cur[have.n].link.mtu = 1480;
	cur[have.n++].link.name[0] = 'x';
	tunnel_diff(&p, &have, &d);
	assert_int_equal(d.present, p.n);
	cur[0] = p.obj[p.n - 1];	/* proxy entry on another device: missing */
	snprintf(cur[0].neigh.dev, IFNAMSIZ, "eth1");
	tunnel_diff(&p, &have, &d);
	assert_int_equal(d.state[p.n - 1], TUN_MISSING);
}

static void render_changes_in_place(void **state)
{
	struct tunnel_cfg c = mobile_cfg();
	struct tunnel_env env = guest_env();
	struct tunnel_plan p;
	struct tun_obj old;
	char cmd[TUN_RENDER_MAX];

	(void)state;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	old = p.obj[1];
	old.link.local = A("203.0.113.10");
	tun_render_change(&p.obj[1], &old, cmd, sizeof(cmd));
	assert_string_equal(cmd, "ip link set tunl1 up type ipip local 203.0.113.230 "
				 "remote 198.51.100.238 ttl 64");
	tun_render_change(&p.obj[0], &old, cmd, sizeof(cmd));
	assert_string_equal(cmd,
		"ip route replace 198.51.100.238/32 via 203.0.113.193 dev eth0 proto static");
	tun_render_del(&p.obj[4], cmd, sizeof(cmd));
	assert_string_equal(cmd, "ip route del default table 200");
	tun_render_del(&p.obj[5], cmd, sizeof(cmd));
	assert_string_equal(cmd, "ip rule del from 198.51.100.180 lookup 200 priority 1000");
	tun_describe(&p.obj[0], cmd, sizeof(cmd));
	assert_string_equal(cmd, "route 198.51.100.238/32 via 203.0.113.193 dev eth0 table main");
}

static void state_round_trip(void **state)
{
	struct tunnel_cfg c = gateway_cfg();
	struct tunnel_env env = { 0 };
	struct tunnel_plan p;
	struct tunnel_state st = { .forward_was = 0 }, back;
	char text[4096];
	struct roam_error e;

	(void)state;
	assert_true(tunnel_plan_build(&c, &env, &p, NULL));
	st.remote = A("203.0.113.10");
	tunnel_state_mark_created(&st, &p.obj[1]);
	tunnel_state_mark_created(&st, &p.obj[3]);
	tunnel_state_mark_created(&st, &p.obj[3]);
	assert_int_equal(st.ncreated, 2);
	tunnel_state_format(&st, text, sizeof(text));
	assert_string_equal(text, "forward_was 0\nremote 203.0.113.10\n"
				  "created ip link del tunl1\n"
				  "created ip route del 198.51.100.180/32\n");
	assert_true(tunnel_state_parse(text, &back, &e));
	assert_int_equal(back.forward_was, 0);
	assert_int_equal(back.remote.s_addr, st.remote.s_addr);
	assert_true(tunnel_state_was_created(&back, &p.obj[3]));
	assert_false(tunnel_state_was_created(&back, &p.obj[4]));
	tunnel_state_forget(&back, &p.obj[1]);
	assert_false(tunnel_state_was_created(&back, &p.obj[1]));
	assert_true(tunnel_state_was_created(&back, &p.obj[3]));
	assert_false(back.register_pending);
	assert_false(tunnel_state_parse("forward_was 7\n", &back, &e));
	assert_non_null(strstr(e.msg, "line 1"));
	/* a registration that did not get through is remembered across runs */
	st.register_pending = true;
	tunnel_state_format(&st, text, sizeof(text));
	assert_non_null(strstr(text, "\nregister_pending 1\n"));
	assert_true(tunnel_state_parse(text, &back, &e));
	assert_true(back.register_pending);
	assert_false(tunnel_state_parse("register_pending yes\n", &back, &e));
	/* remote = NAME: down takes the address up used, even when the name moved since */
	st.resolved = A("203.0.113.77");
	tunnel_state_format(&st, text, sizeof(text));
	assert_non_null(strstr(text, "\nresolved 203.0.113.77\n"));
	assert_true(tunnel_state_parse(text, &back, &e));
	assert_int_equal(back.resolved.s_addr, st.resolved.s_addr);
	assert_false(tunnel_state_parse("resolved gw.example.org\n", &back, &e));
}

static void register_takes_the_ssh_client(void **state)
{
	struct in_addr a;
	struct roam_error e;

	(void)state;
	assert_true(tunnel_register_client("203.0.113.10 50022 198.51.100.238 22", &a, &e));
	assert_int_equal(a.s_addr, A("203.0.113.10").s_addr);
	assert_true(tunnel_register_client("::ffff:203.0.113.10 50022 ::ffff:198.51.100.238 22",
					   &a, &e));
	assert_int_equal(a.s_addr, A("203.0.113.10").s_addr);
	assert_false(tunnel_register_client(NULL, &a, &e));
	assert_non_null(strstr(e.msg, "SSH_CONNECTION"));
	assert_false(tunnel_register_client("2001:db8::1 5 2001:db8::2 22", &a, &e));
	assert_non_null(strstr(e.msg, "not IPv4"));
	assert_false(tunnel_register_client("203.0.113.10", &a, &e));
}

static void register_checks_allow_from(void **state)
{
	struct tunnel_cfg c = gateway_cfg();
	struct roam_error e;

	(void)state;
	assert_true(tunnel_register_allowed(&c, A("203.0.113.10"), &e));
	assert_false(tunnel_register_allowed(&c, A("224.0.0.1"), &e));
	assert_non_null(strstr(e.msg, "not unicast"));
	assert_false(tunnel_register_allowed(&c, A("127.0.0.1"), &e));
	assert_true(roam_parse_prefix("203.0.113.0/26", &c.allow_from[0], NULL));
	c.nallow = 1;
	assert_true(tunnel_register_allowed(&c, A("203.0.113.10"), &e));
	assert_false(tunnel_register_allowed(&c, A("203.0.113.230"), &e));
	assert_non_null(strstr(e.msg, "outside allow_from"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gateway_plan_is_the_seed_commands),
		cmocka_unit_test(gateway_plan_uses_registered_remote),
		cmocka_unit_test(mobile_plan_pins_and_routes),
		cmocka_unit_test(mobile_plan_ppp_and_onlink),
		cmocka_unit_test(onlink_only_outside_the_subnets),
		cmocka_unit_test(mobile_plan_needs_an_uplink),
		cmocka_unit_test(diff_finds_present_missing_different),
		cmocka_unit_test(diff_of_everything_is_all_present),
		cmocka_unit_test(render_changes_in_place),
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(register_takes_the_ssh_client),
		cmocka_unit_test(register_checks_allow_from),
	};

	return cmocka_run_group_tests_name("tunnel", tests, NULL, NULL);
}
