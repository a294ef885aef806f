/* SPDX-License-Identifier: MIT */
/* roam-redirect and roam-redirectd: the recipients table, its errors and lookups. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../redirect/recipients.h"
#include "testdir.h"

static const char *write_table(const char *text)
{
	const char *path = test_path("recipients");
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	return path;
}

static void rows_are_found_in_any_case(void **state)
{
	struct redirect_table t;
	struct roam_error e;
	const struct redirect_row *r;
	char a[INET_ADDRSTRLEN];

	(void)state;
	assert_true(redirect_table_load(&t, write_table(
		"# who, laptop, alive destination\n"
		"\n"
		"alice@example.org 198.51.100.180 alice@laptop.example.net\n"
		"  Bob@Example.ORG\t198.51.100.181   bob@laptop.example.net # his\n"
		"carol@example.org 198.51.100.180 carol@laptop.example.net"), &e));
	assert_int_equal(t.n, 3);
	r = redirect_table_find(&t, "ALICE@example.org");
	assert_non_null(r);
	assert_string_equal(r->alive, "alice@laptop.example.net");
	assert_string_equal(inet_ntop(AF_INET, &r->target, a, sizeof(a)), "198.51.100.180");
	r = redirect_table_find(&t, "bob@example.org");
	assert_non_null(r);
	assert_string_equal(r->alive, "bob@laptop.example.net");
	assert_int_equal(r->line, 4);
	assert_non_null(redirect_table_find(&t, "carol@example.org"));	/* no final newline */
	assert_null(redirect_table_find(&t, "dave@example.org"));
	assert_null(redirect_table_find(&t, ""));
	redirect_table_free(&t);
}

/* every bad line names FILE:LINE, and the table given is left as it was */
static void errors_name_file_and_line(void **state)
{
	static const struct { const char *text, *want; } bad[] = {
		{ "a@x.org 198.51.100.1\n", ":1: want RECIPIENT TARGET ALIVE_DESTINATION" },
		{ "\n# c\na@x.org 198.51.100.1 b@y.org extra\n", ":3: more than three fields" },
		{ "a@x.org 198.51.100.300 b@y.org\n", ":1: target '198.51.100.300'" },
		{ "a@x.org laptop.example.net b@y.org\n", ":1: target 'laptop.example.net'" },
		{ "a@x.org 224.0.0.1 b@y.org\n", ":1: target '224.0.0.1' is not a unicast" },
		{ "a@x.org 198.51.100.1 -oi\n", ":1: alive destination '-oi'" },
		{ "a;b@x.org 198.51.100.1 b@y.org\n", ":1: recipient 'a;b@x.org'" },
		{ "a@x.org 198.51.100.1 b@y.org\nA@X.org 198.51.100.2 c@y.org\n",
		  ":2: recipient 'a@x.org' already on line 1" },
	};
	struct redirect_table t = { .n = 42 };
	struct roam_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *path = write_table(bad[i].text);

		assert_false(redirect_table_load(&t, path, &e));
		assert_int_equal(t.n, 42);
		assert_memory_equal(e.msg, path, strlen(path));
		if (!strstr(e.msg, bad[i].want))
			fail_msg("'%s' lacks '%s'", e.msg, bad[i].want);
	}
}

static void a_file_others_may_write_is_refused(void **state)
{
	struct redirect_table t;
	struct roam_error e;
	const char *path = write_table("a@x.org 198.51.100.1 b@y.org\n");

	(void)state;
	assert_int_equal(chmod(path, 0666), 0);
	assert_false(redirect_table_load(&t, path, &e));
	assert_non_null(strstr(e.msg, "writable"));
	assert_false(redirect_table_load(&t, test_path("nothing-here"), &e));
	assert_non_null(strstr(e.msg, "nothing-here"));
}

static void the_single_keys_are_one_row_for_everyone(void **state)
{
	struct redirect_table t;
	struct roam_error e;

	(void)state;
	assert_true(redirect_table_single(&t, "198.51.100.180", "me@laptop.example.net", &e));
	assert_string_equal(redirect_table_find(&t, "anyone@example.org")->alive,
			    "me@laptop.example.net");
	assert_non_null(redirect_table_find(&t, ""));
	redirect_table_free(&t);
	assert_false(redirect_table_single(&t, NULL, "me@laptop", &e));
	assert_non_null(strstr(e.msg, "no target"));
	assert_false(redirect_table_single(&t, "198.51.100.180", "a b", &e));
	assert_non_null(strstr(e.msg, "not one plain address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows_are_found_in_any_case),
		cmocka_unit_test(errors_name_file_and_line),
		cmocka_unit_test(a_file_others_may_write_is_refused),
		cmocka_unit_test(the_single_keys_are_one_row_for_everyone),
	};

	return cmocka_run_group_tests_name("redirect recipients table", tests, testdir_setup,
					   testdir_teardown);
}
