/* SPDX-License-Identifier: MIT */
/* fetch/uidl: round trip, strict parsing, retain, a large record. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fetch/lock.h"
#include "../../fetch/uidl.h"
#include "testdir.h"

#define ACCOUNT "alice@127.0.0.1:110 via root@127.0.0.1:2222"

static char state[sizeof(test_dir) + 32];

static int setup(void **s)
{
	if (testdir_setup(s) < 0)
		return -1;
	snprintf(state, sizeof(state), "%s/state", test_dir);
	return 0;
}

/* the record's path, so that tests can plant bad content in it */
static const char *record_path(const char *account)
{
	static char path[sizeof(state) + 300];
	char name[256];
	int fd = fetch_state_dir(state, account, ".uidl", name, sizeof(name), NULL);

	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", state, name);
	return path;
}

static void plant(const char *account, const char *content, size_t len)
{
	FILE *f = fopen(record_path(account), "w");

	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void round_trip(void **s)
{
	struct roam_error e;
	struct uidl_db *db;
	struct stat st;

	(void)s;
	db = uidl_open(state, "round trip", &e);
	assert_non_null(db);
	assert_false(uidl_contains(db, "000001"));
	assert_true(uidl_add(db, "000001"));
	assert_true(uidl_add(db, "00000a!~"));
	assert_true(uidl_add(db, "000001"));
	assert_true(uidl_save(db, &e));
	uidl_close(db);

	assert_int_equal(stat(record_path("round trip"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	db = uidl_open(state, "round trip", &e);
	assert_non_null(db);
	assert_true(uidl_contains(db, "000001"));
	assert_true(uidl_contains(db, "00000a!~"));
	assert_false(uidl_contains(db, "000002"));
	uidl_close(db);
}

/* escaped UIDLs (listing.h) and run.c's "UIDL DIGEST RANK" keys, nothing else */
static void printable_keys_only(void **s)
{
	char long_key[UIDL_KEY_MAX + 2];
	struct roam_error e;
	struct uidl_db *db;

	(void)s;
	memset(long_key, 'x', UIDL_KEY_MAX + 1);
	long_key[UIDL_KEY_MAX + 1] = '\0';
	db = uidl_open(state, "strict", &e);
	assert_non_null(db);
	assert_false(uidl_add(db, ""));
	assert_true(uidl_add(db, "a 0123456789abcdef.12 0"));
	assert_false(uidl_add(db, "a  b"));
	assert_false(uidl_add(db, " a"));
	assert_false(uidl_add(db, "a "));
	assert_false(uidl_add(db, "tab\there"));
	assert_false(uidl_add(db, "del\x7f"));
	assert_false(uidl_add(db, "\xc3\xa9t\xc3\xa9"));
	assert_true(uidl_add(db, "%C3%A9t%C3%A9"));
	assert_false(uidl_add(db, long_key));
	long_key[UIDL_KEY_MAX] = '\0';
	assert_true(uidl_add(db, long_key));
	uidl_close(db);
}

/* a version 1 record held raw UIDLs: its '%' means what %25 means now, and it
 * is written back as version 2 */
static void version_1_is_read_with_percent_escaped(void **s)
{
	static const char v1[] = "roam-fetch uidl 1\na%b\nplain\n";
	struct roam_error e;
	struct uidl_db *db;
	char text[128];
	FILE *f;
	size_t n;

	(void)s;
	plant("v1", v1, sizeof(v1) - 1);
	db = uidl_open(state, "v1", &e);
	assert_non_null(db);
	assert_true(uidl_contains(db, "a%25b"));
	assert_false(uidl_contains(db, "a%b"));
	assert_true(uidl_contains(db, "plain"));
	assert_true(uidl_save(db, &e));
	uidl_close(db);
	assert_non_null(f = fopen(record_path("v1"), "r"));
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "roam-fetch uidl 2\n"));
	assert_non_null(strstr(text, "\na%25b\n"));
}

static void refuse(const char *account, const char *content, size_t len, const char *why)
{
	struct roam_error e = { .msg = "" };

	plant(account, content, len);
	assert_null(uidl_open(state, account, &e));
	if (!strstr(e.msg, why))
		fail_msg("'%s' does not say '%s'", e.msg, why);
}

static void garbage_is_an_error_not_an_empty_record(void **s)
{
	(void)s;
	refuse("g1", "hello\n", 6, "not a roam-fetch UIDL file");
	refuse("g2", "roam-fetch uidl 1\nok\nnot ok\n", 28, ":3: not a UIDL");
	refuse("g3", "roam-fetch uidl 1\nok\n\n", 22, ":3: not a UIDL");
	refuse("g4", "roam-fetch uidl 1\nok", 20, "truncated");
	refuse("g5", "roam-fetch uidl 1\no\0k\n", 22, "NUL");
	refuse("g6", "roam-fetch uidl 3\nok\n", 21, "not a roam-fetch UIDL file");
	refuse("g7", "roam-fetch uidl 2\nok\n two\n", 26, ":3: not a UIDL");
	/* a version 1 line longer than RFC 1939 allows is still refused */
	refuse("g8", "roam-fetch uidl 1\n"
		     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	       18 + 72, ":2: not a UIDL");
}

static void oversized_file_is_refused(void **s)
{
	struct roam_error e = { .msg = "" };
	int fd;

	(void)s;
	fd = open(record_path("big"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65 << 20), 0);
	close(fd);
	assert_null(uidl_open(state, "big", &e));
	assert_non_null(strstr(e.msg, "at most"));
}

static void empty_file_is_an_empty_record(void **s)
{
	struct roam_error e;
	struct uidl_db *db;

	(void)s;
	plant("empty", "", 0);
	db = uidl_open(state, "empty", &e);
	assert_non_null(db);
	assert_false(uidl_contains(db, "x"));
	uidl_close(db);
}

static void retain_forgets_what_the_server_dropped(void **s)
{
	static const char *const server[] = { "b", "c", "d" };
	struct roam_error e;
	struct uidl_db *db;

	(void)s;
	db = uidl_open(state, "retain", &e);
	assert_non_null(db);
	assert_true(uidl_add(db, "a"));
	assert_true(uidl_add(db, "b"));
	assert_true(uidl_add(db, "c"));
	assert_true(uidl_add(db, "c 0123456789abcdef.5 1"));	/* goes by its UIDL, c */
	assert_true(uidl_add(db, "a 0123456789abcdef.5 0"));
	assert_true(uidl_save(db, &e));
	uidl_retain(db, server, 3);
	assert_true(uidl_contains(db, "c 0123456789abcdef.5 1"));
	assert_false(uidl_contains(db, "a 0123456789abcdef.5 0"));
	assert_false(uidl_contains(db, "a"));
	assert_true(uidl_contains(db, "b"));
	assert_true(uidl_contains(db, "c"));
	assert_false(uidl_contains(db, "d"));
	assert_true(uidl_save(db, &e));
	uidl_close(db);
	db = uidl_open(state, "retain", &e);
	assert_non_null(db);
	assert_false(uidl_contains(db, "a"));
	assert_true(uidl_contains(db, "b"));
	assert_true(uidl_contains(db, "c"));
	/* an empty server list forgets everything */
	uidl_retain(db, NULL, 0);
	assert_false(uidl_contains(db, "b"));
	assert_true(uidl_save(db, &e));
	uidl_close(db);
}

static void unchanged_record_is_not_rewritten(void **s)
{
	struct roam_error e;
	struct uidl_db *db;
	struct stat a, b;

	(void)s;
	db = uidl_open(state, "same", &e);
	assert_true(uidl_add(db, "x"));
	assert_true(uidl_save(db, &e));
	assert_int_equal(stat(record_path("same"), &a), 0);
	assert_true(uidl_add(db, "x"));
	assert_true(uidl_save(db, &e));
	assert_int_equal(stat(record_path("same"), &b), 0);
	/* an atomic rewrite would have made a new inode */
	assert_int_equal(a.st_ino, b.st_ino);
	uidl_close(db);
}

static void hundred_thousand_uidls(void **s)
{
	enum { N = 100000 };
	static const char *server[N / 2];
	struct roam_error e;
	struct uidl_db *db;
	char u[80];

	(void)s;
	db = uidl_open(state, "many", &e);
	assert_non_null(db);
	for (int i = 0; i < N; i++) {
		snprintf(u, sizeof(u), "%08d.%s", i, "dovecot-uidl-like-suffix");
		assert_true(uidl_add(db, u));
	}
	assert_true(uidl_save(db, &e));
	uidl_close(db);
	db = uidl_open(state, "many", &e);
	assert_non_null(db);
	for (int i = 0; i < N; i++) {
		snprintf(u, sizeof(u), "%08d.%s", i, "dovecot-uidl-like-suffix");
		assert_true(uidl_contains(db, u));
		snprintf(u, sizeof(u), "%08d.%s", i + N, "dovecot-uidl-like-suffix");
		assert_false(uidl_contains(db, u));
	}
	/* the server kept the odd ones */
	for (int i = 0; i < N / 2; i++) {
		snprintf(u, sizeof(u), "%08d.%s", 2 * i + 1, "dovecot-uidl-like-suffix");
		server[i] = strdup(u);
	}
	uidl_retain(db, server, N / 2);
	snprintf(u, sizeof(u), "%08d.%s", 2, "dovecot-uidl-like-suffix");
	assert_false(uidl_contains(db, u));
	snprintf(u, sizeof(u), "%08d.%s", 3, "dovecot-uidl-like-suffix");
	assert_true(uidl_contains(db, u));
	for (int i = 0; i < N / 2; i++)
		free((char *)server[i]);
	uidl_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(printable_keys_only),
		cmocka_unit_test(version_1_is_read_with_percent_escaped),
		cmocka_unit_test(garbage_is_an_error_not_an_empty_record),
		cmocka_unit_test(oversized_file_is_refused),
		cmocka_unit_test(empty_file_is_an_empty_record),
		cmocka_unit_test(retain_forgets_what_the_server_dropped),
		cmocka_unit_test(unchanged_record_is_not_rewritten),
		cmocka_unit_test(hundred_thousand_uidls),
	};

	return cmocka_run_group_tests_name("fetch_uidl", tests, setup, testdir_teardown);
}
