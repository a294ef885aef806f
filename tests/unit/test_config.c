/* SPDX-License-Identifier: MIT */
/* lib/config: real files in a temp directory, good and bad. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "testdir.h"

static const struct roam_key test_keys[] = {
	{ .name = "target", .type = ROAM_T_IPV4, .list = true, .help = "targets" },
	{ .name = "count", .type = ROAM_T_INT, .def = "3", .min = 1, .max = 100, .help = "k" },
	{ .name = "watch", .type = ROAM_T_BOOL, .def = "no", .help = "b" },
	{ .name = "method", .type = ROAM_T_ENUM, .def = "auto", .choices = "auto|icmp|dgram",
	  .help = "m" },
	{ .name = "local", .type = ROAM_T_IPV4, .choices = "auto", .help = "l" },
	{ .name = "home_net", .type = ROAM_T_PREFIX, .help = "p" },
	{ .name = "away", .type = ROAM_T_STRING, .def = "postmaster", .help = "s" },
};
static const struct roam_section probe = ROAM_SECTION("probe", test_keys);
static const struct roam_key other_keys[] = {
	{ .name = "max_age", .type = ROAM_T_INT, .def = "120", .min = 1, .max = 86400, .help = "a" },
};
static const struct roam_section redirect = ROAM_SECTION("redirect", other_keys);

static char path[sizeof(test_dir) + 32];

static void write_file(const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* loads `text` as the config; returns the conf or NULL with e filled */
static struct roam_conf *load(const char *text, struct roam_error *e)
{
	static const struct roam_section *const secs[] = { &probe, &redirect };

	write_file(text, strlen(text));
	return roam_conf_load(path, 0, secs, 2, e);
}

/* asserts that `text` fails with exactly "PATH:LINE: want" */
static void assert_fails(const char *text, unsigned line, const char *want)
{
	struct roam_error e = { "" };
	char expect[600];

	assert_null(load(text, &e));
	snprintf(expect, sizeof(expect), "%s:%u: %s", path, line, want);
	assert_string_equal(e.msg, expect);
}

static int setup(void **state)
{
	if (testdir_setup(state) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/roam.conf", test_dir);
	return 0;
}

static void values_and_defaults(void **state)
{
	struct roam_error e;
	const char *const *v;
	struct roam_conf *c;

	(void)state;
	c = load("# comment\n; another\n\n[probe]\n  target = 198.51.100.180, 198.51.100.181\n"
		 "TARGET=203.0.113.9\ncount = 5 ; inline comment\nWatch = yes\nlocal = auto\n"
		 "home_net = 198.51.100.0/24\n[redirect]\nmax_age = 60\n", &e);
	assert_non_null(c);
	assert_int_equal(roam_conf_list(c, "probe", "target", &v), 3);
	assert_string_equal(v[0], "198.51.100.180");
	assert_string_equal(v[2], "203.0.113.9");
	assert_int_equal(roam_conf_int(c, "probe", "count"), 5);
	assert_true(roam_conf_bool(c, "probe", "watch"));
	assert_string_equal(roam_conf_str(c, "probe", "method"), "auto");
	assert_false(roam_conf_is_set(c, "probe", "method"));
	assert_string_equal(roam_conf_str(c, "probe", "away"), "postmaster");
	assert_int_equal(roam_conf_int(c, "redirect", "max_age"), 60);
	char where[300], expect[300];
	snprintf(expect, sizeof(expect), "%s:7", path);
	assert_string_equal(roam_conf_where(c, "probe", "count", where, sizeof(where)), expect);
	assert_string_equal(roam_conf_where(c, "probe", "method", where, sizeof(where)), "default");
	assert_string_equal(roam_conf_path(c), path);
	roam_conf_free(c);
}

static void empty_file_and_missing_section_give_defaults(void **state)
{
	struct roam_error e;
	const char *const *v;
	struct roam_conf *c;

	(void)state;
	c = load("", &e);
	assert_non_null(c);
	assert_int_equal(roam_conf_int(c, "probe", "count"), 3);
	assert_int_equal(roam_conf_list(c, "probe", "target", &v), 0);
	assert_null(roam_conf_str(c, "probe", "local"));
	roam_conf_free(c);
	/* only another tool's section: ours keeps its defaults, theirs is not checked */
	c = load("[fetch]\nwhatever = 1\n", &e);
	assert_non_null(c);
	assert_int_equal(roam_conf_int(c, "redirect", "max_age"), 120);
	roam_conf_free(c);
}

static void unknown_key_names_file_and_line(void **state)
{
	(void)state;
	assert_fails("[probe]\ncount = 3\n\ntagret = 198.51.100.180\n", 4,
		     "unknown key 'tagret' in [probe]");
}

static void structural_errors(void **state)
{
	(void)state;
	assert_fails("count = 3\n", 1, "key 'count' outside of a section");
	assert_fails("[probe]\n[prob]\ncount = 3\n", 2, "unknown section [prob]");
	assert_fails("[probe]\ncount = 3\n[nosuch]\n", 3, "unknown section [nosuch]");
	assert_fails("[probe]\ncount = 3\nwatch = no\ncount = 4\n", 4,
		     "duplicate key 'count' in [probe] (first set on line 2)");
	assert_fails("[probe]\njust words\n", 2,
		     "syntax error: expected '[section]' or 'key = value'");
	assert_fails("[probe\ncount = 3\n", 1,
		     "syntax error: expected '[section]' or 'key = value'");
	assert_fails("[probe]\ncount =\n", 2, "empty value for 'count' in [probe]");
}

static void bad_values(void **state)
{
	(void)state;
	assert_fails("[probe]\ncount = 0\n", 2,
		     "bad value '0' for 'count' in [probe]: expected an integer from 1 to 100");
	assert_fails("[probe]\ncount = 3x\n", 2,
		     "bad value '3x' for 'count' in [probe]: expected an integer from 1 to 100");
	assert_fails("[probe]\ncount = 99999999999999999999\n", 2,
		     "bad value '99999999999999999999' for 'count' in [probe]: expected an integer from 1 to 100");
	assert_fails("[probe]\nwatch = maybe\n", 2,
		     "bad value 'maybe' for 'watch' in [probe]: expected yes or no");
	assert_fails("[probe]\nmethod = ping\n", 2,
		     "bad value 'ping' for 'method' in [probe]: expected one of auto|icmp|dgram");
	assert_fails("[probe]\ntarget = 198.51.100.180 1.2.3\n", 2,
		     "bad value '1.2.3' for 'target' in [probe]: expected an IPv4 address");
	assert_fails("[probe]\nlocal = 198.51.100.300\n", 2,
		     "bad value '198.51.100.300' for 'local' in [probe]: expected an IPv4 address or auto");
	assert_fails("[probe]\nhome_net = 198.51.100.1/24\n", 2,
		     "bad value for 'home_net' in [probe]: invalid IPv4 prefix '198.51.100.1/24': host bits set");
}

static void long_line_is_refused_not_split(void **state)
{
	size_t n = 10 * 1024 * 1024;
	char *big = malloc(n + 32);
	struct roam_error e = { "" };
	static const struct roam_section *const secs[] = { &probe };
	char expect[400];

	(void)state;
	assert_non_null(big);
	/* a 10 MB value whose tail would parse as "count = 7" if the line were split */
	strcpy(big, "[probe]\naway = ");
	memset(big + 15, 'x', n);
	strcpy(big + 15 + n - 10, "count = 7\n");
	write_file(big, strlen(big));
	free(big);
	assert_null(roam_conf_load(path, 0, secs, 1, &e));
	snprintf(expect, sizeof(expect), "%s:2: line too long (more than 199 bytes)", path);
	assert_string_equal(e.msg, expect);
}

static void nul_bytes_and_bad_utf8_are_refused(void **state)
{
	struct roam_error e = { "" };
	static const struct roam_section *const secs[] = { &probe };
	char expect[400];

	(void)state;
	write_file("[probe]\ncount = 3\0 junk\n", 24);
	assert_null(roam_conf_load(path, 0, secs, 1, &e));
	snprintf(expect, sizeof(expect), "%s:2: NUL byte in the file", path);
	assert_string_equal(e.msg, expect);
	assert_fails("[probe]\n# caf\xe9 latin-1\n", 2, "not valid UTF-8");
	assert_fails("[probe]\naway = \xc0\xaf\n", 2, "not valid UTF-8");	/* overlong '/' */
	struct roam_conf *c = load("[probe]\n# café, UTF-8 is fine\naway = andré\n", &e);
	assert_non_null(c);
	assert_string_equal(roam_conf_str(c, "probe", "away"), "andré");
	roam_conf_free(c);
}

static void missing_and_unreadable_files(void **state)
{
	static const struct roam_section *const secs[] = { &probe };
	struct roam_error e = { "" };
	char missing[sizeof(path) + 8];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/nope.conf", test_dir);
	assert_null(roam_conf_load(missing, 0, secs, 1, &e));
	assert_non_null(strstr(e.msg, "cannot read"));
	assert_non_null(strstr(e.msg, "No such file"));
	/* a directory opens but cannot be read: as root, permissions would not stop us */
	assert_null(roam_conf_load(test_dir, 0, secs, 1, &e));
	assert_non_null(strstr(e.msg, test_dir));
}

/* a config names commands: one that others can change is not read at all */
static void writable_config_is_refused(void **state)
{
	struct roam_error e = { "" };
	char want[sizeof(path) + 64];
	struct roam_conf *c;

	(void)state;
	write_file("", 0);
	assert_int_equal(chmod(path, 0664), 0);	/* load() keeps the mode */
	assert_null(load("[probe]\naway = x\n", &e));
	snprintf(want, sizeof(want), "%s: writable by group (mode 0664); refusing it", path);
	assert_string_equal(e.msg, want);
	assert_int_equal(chmod(path, 0644), 0);
	assert_non_null(c = load("[probe]\naway = x\n", &e));
	roam_conf_free(c);
	assert_int_equal(chmod(test_dir, 0757), 0);
	c = load("[probe]\n", &e);
	assert_int_equal(chmod(test_dir, 0700), 0);
	assert_null(c);
	assert_non_null(strstr(e.msg, "writable by others (mode 0757)"));
	/* -c /dev/null: every default, though the device is world-writable */
	assert_non_null(c = roam_conf_load("/dev/null", 0, (const struct roam_section *const[]){ &probe }, 1, &e));
	assert_string_equal(roam_conf_str(c, "probe", "away"), "postmaster");
	roam_conf_free(c);
}

static void user_file_comes_first(void **state)
{
	static const struct roam_section *const secs[] = { &probe };
	char userdir[sizeof(test_dir) + 16], userconf[sizeof(test_dir) + 32];
	struct roam_error e;
	struct roam_conf *c;

	(void)state;
	snprintf(userdir, sizeof(userdir), "%s/roam", test_dir);
	snprintf(userconf, sizeof(userconf), "%s/roam.conf", userdir);
	assert_int_equal(mkdir(userdir, 0700), 0);
	FILE *f = fopen(userconf, "w");
	assert_non_null(f);
	fputs("[probe]\ncount = 9\n", f);
	fclose(f);
	setenv("XDG_CONFIG_HOME", test_dir, 1);
	c = roam_conf_load(NULL, ROAM_CONF_USER, secs, 1, &e);
	assert_non_null(c);
	assert_string_equal(roam_conf_path(c), userconf);
	assert_int_equal(roam_conf_int(c, "probe", "count"), 9);
	roam_conf_free(c);
	unlink(userconf);
	rmdir(userdir);
}

static void key_check_for_command_line(void **state)
{
	struct roam_error e;

	(void)state;
	assert_true(roam_key_check(&test_keys[1], "7", &e));
	assert_false(roam_key_check(&test_keys[1], "-1", &e));
	assert_string_equal(e.msg, "bad value '-1' for 'count': expected an integer from 1 to 100");
	assert_true(roam_key_check(&test_keys[3], "DGRAM", &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_and_defaults),
		cmocka_unit_test(empty_file_and_missing_section_give_defaults),
		cmocka_unit_test(unknown_key_names_file_and_line),
		cmocka_unit_test(structural_errors),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(long_line_is_refused_not_split),
		cmocka_unit_test(nul_bytes_and_bad_utf8_are_refused),
		cmocka_unit_test(missing_and_unreadable_files),
		cmocka_unit_test(writable_config_is_refused),
		cmocka_unit_test(user_file_comes_first),
		cmocka_unit_test(key_check_for_command_line),
	};

	return cmocka_run_group_tests_name("config", tests, setup, testdir_teardown);
}
