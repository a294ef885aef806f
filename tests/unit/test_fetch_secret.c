/* SPDX-License-Identifier: MIT */
/* fetch/secret: the password file's permission rules and password_command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fetch/secret.h"
#include "exits.h"
#include "testdir.h"

static char path[sizeof(test_dir) + 16];

static int setup(void **s)
{
	if (testdir_setup(s) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pass", test_dir);
	return 0;
}

static void write_file(const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_first_line_of_private_file(void **s)
{
	struct roam_error e;
	int code = -1;
	char *pw;

	(void)s;
	write_file("s3cret pass\r\nsecond line\n", 0600);
	assert_non_null(pw = secret_from_file(path, &code, &e));
	assert_string_equal(pw, "s3cret pass");
	secret_free(pw);
	write_file("no-newline", 0400);
	assert_non_null(pw = secret_from_file(path, &code, &e));
	assert_string_equal(pw, "no-newline");
	secret_free(pw);
}

static void test_readable_by_others_refused(void **s)
{
	static const mode_t modes[] = { 0640, 0604, 0660, 0602, 0610 };
	struct roam_error e;
	int code;

	(void)s;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file("pw\n", modes[i]);
		code = -1;
		assert_null(secret_from_file(path, &code, &e));
		assert_int_equal(code, FETCH_EXIT_IOERR);
		assert_non_null(strstr(e.msg, "chmod 600"));
	}
}

static void test_bad_files(void **s)
{
	struct roam_error e;
	int code = -1;

	(void)s;
	write_file("", 0600);
	assert_null(secret_from_file(path, &code, &e));
	assert_int_equal(code, FETCH_EXIT_IOERR);
	write_file("\nsecond\n", 0600);
	assert_null(secret_from_file(path, &code, &e));
	unlink(path);
	assert_null(secret_from_file(path, &code, &e));
	assert_non_null(strstr(e.msg, path));
	assert_null(secret_from_file(test_dir, &code, &e));
	assert_int_equal(code, FETCH_EXIT_IOERR);
}

static void test_command(void **s)
{
	struct roam_error e;
	int code = -1;
	char *pw;

	(void)s;
	assert_non_null(pw = secret_from_command("printf 'from-cmd\\nmore\\n'", &code, &e));
	assert_string_equal(pw, "from-cmd");
	secret_free(pw);
	assert_null(secret_from_command("echo pw; exit 3", &code, &e));
	assert_int_equal(code, FETCH_EXIT_AUTH);
	assert_non_null(strstr(e.msg, "exited with 3"));
	assert_null(secret_from_command("true", &code, &e));
	assert_int_equal(code, FETCH_EXIT_AUTH);
	/* much output: read to the end, so the command never dies of SIGPIPE */
	assert_non_null(pw = secret_from_command("echo pw; seq 1 100000", &code, &e));
	assert_string_equal(pw, "pw");
	secret_free(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_line_of_private_file),
		cmocka_unit_test(test_readable_by_others_refused),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, setup, testdir_teardown);
}
