/* SPDX-License-Identifier: MIT */
/* roam-redirect: what may be printed, and the away target's fallbacks. */
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../redirect/target.h"

static void plain_addresses_pass(void **state)
{
	static const char *const good[] = {
		"user", "user@laptop", "user@laptop.example.net", "first.last@example.net",
		"user+roam@example.net", "a=b@example.net", "user-ext@mx-1.example.net",
		"_svc@example.net", "u@198.51.100.152", "postmaster", "UPPER@EXAMPLE.NET",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(redirect_target_ok(good[i]));
}

static void anything_else_fails(void **state)
{
	static const char *const bad[] = {
		"", "-oi", "-f@x", "@example.net", "user@", "user@-mx.example.net",
		"user@@example.net", "a@b@c", "two words", "tab\there", "nl\n", "cr\r",
		"\"quoted\"@example.net", "'q'", "a;rm -rf", "a|b", "a&b", "a>b", "a<b",
		"$HOME", "`id`", "a*", "a?", "a[1]", "a~", "a(b)", "a\\b", "a,b",
		"user@exa mple", "us\x01er", "\xc3\xa9t\xc3\xa9@example.net", "a/b", "/tmp/x",
		"a:b", "user@[198.51.100.1]", "!bang", "a%b@c", "#x",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (redirect_target_ok(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_false(redirect_target_ok(NULL));
}

static void length_limit_is_254(void **state)
{
	char s[300];

	(void)state;
	memset(s, 'a', sizeof(s));
	s[REDIRECT_TARGET_MAX] = '\0';
	assert_true(redirect_target_ok(s));
	s[REDIRECT_TARGET_MAX] = 'a';
	s[REDIRECT_TARGET_MAX + 1] = '\0';
	assert_false(redirect_target_ok(s));
}

static void away_defaults_to_logname(void **state)
{
	char buf[REDIRECT_TARGET_MAX + 1];
	const char *what;

	(void)state;
	setenv("LOGNAME", "alice", 1);
	assert_string_equal(redirect_default_away(buf, sizeof(buf), &what), "alice");
	assert_string_equal(what, "$LOGNAME");
}

static void bad_logname_falls_back_to_the_uid(void **state)
{
	static const char *const bad[] = { "", "-oi", "a b", "x;y", "`id`" };
	char buf[REDIRECT_TARGET_MAX + 1];
	struct passwd *pw = getpwuid(getuid());
	const char *what;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		setenv("LOGNAME", bad[i], 1);
		redirect_default_away(buf, sizeof(buf), &what);
		assert_true(redirect_target_ok(buf));
		if (pw && redirect_target_ok(pw->pw_name))
			assert_string_equal(buf, pw->pw_name);
	}
	unsetenv("LOGNAME");
	redirect_default_away(buf, sizeof(buf), &what);
	assert_true(redirect_target_ok(buf));
}

static void last_resort_is_safe(void **state)
{
	(void)state;
	assert_true(redirect_target_ok(REDIRECT_LAST_RESORT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_addresses_pass),
		cmocka_unit_test(anything_else_fails),
		cmocka_unit_test(length_limit_is_254),
		cmocka_unit_test(away_defaults_to_logname),
		cmocka_unit_test(bad_logname_falls_back_to_the_uid),
		cmocka_unit_test(last_resort_is_safe),
	};

	return cmocka_run_group_tests_name("redirect target", tests, NULL, NULL);
}
