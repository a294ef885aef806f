/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"

static void ipv4_accepts_dotted_quads(void **state)
{
	struct in_addr a;

	(void)state;
	assert_true(roam_parse_ipv4("198.51.100.180", &a, NULL));
	assert_int_equal(ntohl(a.s_addr), 0xc63364b4);
	assert_true(roam_parse_ipv4("0.0.0.0", &a, NULL));
}

static void ipv4_refuses_shorthand_and_junk(void **state)
{
	static const char *const bad[] = {
		"", "1.2.3", "0x7f.0.0.1", "198.51.100.256", "198.51.100.1 ", " 198.51.100.1",
		"198.51.100.1/32", "2001:db8::1", "198.51.100.1\n", "example.net", "-1.2.3.4",
	};
	struct roam_error e;
	struct in_addr a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e.msg[0] = '\0';
		assert_false(roam_parse_ipv4(bad[i], &a, &e));
		assert_non_null(strstr(e.msg, "IPv4 address"));
	}
}

static void prefix_parses_and_contains(void **state)
{
	struct roam_prefix p;
	struct in_addr a;

	(void)state;
	assert_true(roam_parse_prefix("198.51.100.0/24", &p, NULL));
	assert_int_equal(p.len, 24);
	inet_pton(AF_INET, "198.51.100.230", &a);
	assert_true(roam_prefix_contains(&p, a));
	inet_pton(AF_INET, "203.0.113.230", &a);
	assert_false(roam_prefix_contains(&p, a));
	assert_true(roam_parse_prefix("203.0.113.230", &p, NULL));
	assert_int_equal(p.len, 32);
	assert_true(roam_prefix_contains(&p, a));
	assert_true(roam_parse_prefix("0.0.0.0/0", &p, NULL));
	assert_true(roam_prefix_contains(&p, a));
}

static void prefix_errors_say_why(void **state)
{
	struct roam_error e;
	struct roam_prefix p;

	(void)state;
	assert_false(roam_parse_prefix("198.51.100.1/24", &p, &e));
	assert_non_null(strstr(e.msg, "host bits set"));
	assert_false(roam_parse_prefix("198.51.100.0/33", &p, &e));
	assert_non_null(strstr(e.msg, "0..32"));
	assert_false(roam_parse_prefix("198.51.100.0/", &p, &e));
	assert_false(roam_parse_prefix("198.51.100.0/2x", &p, &e));
	assert_false(roam_parse_prefix("198.51.100/24", &p, &e));
	assert_non_null(strstr(e.msg, "bad address"));
	assert_false(roam_parse_prefix("", &p, &e));
}

static void unicast_excludes_special_ranges(void **state)
{
	static const char *const no[] = { "0.1.2.3", "127.0.0.1", "224.0.0.1", "255.255.255.255" };
	struct in_addr a;

	(void)state;
	inet_pton(AF_INET, "203.0.113.230", &a);
	assert_true(roam_ipv4_is_unicast(a));
	for (size_t i = 0; i < 4; i++) {
		inet_pton(AF_INET, no[i], &a);
		assert_false(roam_ipv4_is_unicast(a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_accepts_dotted_quads),
		cmocka_unit_test(ipv4_refuses_shorthand_and_junk),
		cmocka_unit_test(prefix_parses_and_contains),
		cmocka_unit_test(prefix_errors_say_why),
		cmocka_unit_test(unicast_excludes_special_ranges),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
