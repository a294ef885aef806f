/* SPDX-License-Identifier: MIT */
/* fetch/hostkey: known_hosts matching
 * through libssh2 (plain, [host]:port, changed, unknown, unparsable lines),
 * OpenSSH's port rule and @revoked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fetch/hostkey.h"
#include "base64.h"
#include "testdir.h"

static char path[sizeof(test_dir) + 16];
static LIBSSH2_SESSION *session;

/* an ssh-ed25519 public key blob (RFC 8709): string "ssh-ed25519", string key */
static unsigned char blob[4 + 11 + 4 + 32];
static char blob64[sizeof(blob) / 3 * 4 + 4];

static void make_blob(unsigned seed)
{
	memcpy(blob, "\0\0\0\x0bssh-ed25519\0\0\0\x20", 19);
	for (size_t i = 0; i < 32; i++)
		blob[19 + i] = (unsigned char)(seed * 31 + i * 7);
	roam_base64_encode(blob, sizeof(blob), true, blob64);
}

static int setup(void **s)
{
	if (testdir_setup(s) < 0 || libssh2_init(0) || !(session = libssh2_session_init()))
		return -1;
	snprintf(path, sizeof(path), "%s/known_hosts", test_dir);
	return 0;
}

static int teardown(void **s)
{
	libssh2_session_free(session);
	libssh2_exit();
	return testdir_teardown(s);
}

static void write_known(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static enum hostkey_verdict check(const char *host, int port, unsigned *skipped)
{
	struct roam_error e;
	struct hostkey_db *db = hostkey_load(session, path, skipped, &e);
	enum hostkey_verdict v;

	assert_non_null(db);
	v = hostkey_check(db, host, port, (const char *)blob, sizeof(blob),
			  LIBSSH2_HOSTKEY_TYPE_ED25519);
	hostkey_free(db);
	return v;
}

static void test_type_names(void **s)
{
	(void)s;
	assert_string_equal(hostkey_type_name(LIBSSH2_HOSTKEY_TYPE_ED25519), "ssh-ed25519");
	assert_string_equal(hostkey_type_name(LIBSSH2_HOSTKEY_TYPE_ECDSA_256),
			    "ecdsa-sha2-nistp256");
	assert_string_equal(hostkey_type_name(12345), "unknown");
}

static void test_plain_match_changed_unknown(void **s)
{
	char text[256];
	unsigned skipped;

	(void)s;
	make_blob(1);
	snprintf(text, sizeof(text), "# comment\n\nmailgw.example.net,198.51.100.238 ssh-ed25519 %s\n",
		 blob64);
	write_known(text);
	assert_int_equal(check("mailgw.example.net", 22, &skipped), HOSTKEY_MATCH);
	assert_int_equal(check("198.51.100.238", 22, &skipped), HOSTKEY_MATCH);
	assert_int_equal(skipped, 0);
	assert_int_equal(check("198.51.100.152", 22, &skipped), HOSTKEY_UNKNOWN);
	make_blob(2);	/* the server now presents another ed25519 key */
	assert_int_equal(check("mailgw.example.net", 22, &skipped), HOSTKEY_CHANGED);
}

static void test_host_port_entries(void **s)
{
	char text[256];
	unsigned skipped;

	(void)s;
	make_blob(3);
	snprintf(text, sizeof(text), "[198.51.100.238]:2222 ssh-ed25519 %s\n", blob64);
	write_known(text);
	assert_int_equal(check("198.51.100.238", 2222, &skipped), HOSTKEY_MATCH);
	/* port 22 is written without brackets: the bracketed entry is another host */
	assert_int_equal(check("198.51.100.238", 22, &skipped), HOSTKEY_UNKNOWN);
	assert_int_equal(check("198.51.100.238", 2223, &skipped), HOSTKEY_UNKNOWN);
}

/* OpenSSH: for a port other than 22 only "[host]:port" entries count, plain or
 * hashed; libssh2 alone would also take a plain "host" entry */
static void test_other_port_needs_a_port_entry(void **s)
{
	/* |1|salt|HMAC-SHA1(salt, name), salt = bytes 0..19 */
	static const char hashed_port[] =
		"|1|AAECAwQFBgcICQoLDA0ODxAREhM=|IYF0O8b5jAuR++Jn99OMMIHkBGo=";	/* [198.51.100.238]:2222 */
	static const char hashed_plain[] =
		"|1|AAECAwQFBgcICQoLDA0ODxAREhM=|Jzqi2eaQsExMYqJalEcRka0UPww=";	/* 198.51.100.238 */
	char text[512];
	unsigned skipped;

	(void)s;
	make_blob(7);
	snprintf(text, sizeof(text), "198.51.100.238 ssh-ed25519 %s\n", blob64);
	write_known(text);
	assert_int_equal(check("198.51.100.238", 22, &skipped), HOSTKEY_MATCH);
	assert_int_equal(check("198.51.100.238", 2222, &skipped), HOSTKEY_UNKNOWN);
	snprintf(text, sizeof(text), "%s ssh-ed25519 %s\n", hashed_plain, blob64);
	write_known(text);
	assert_int_equal(check("198.51.100.238", 22, &skipped), HOSTKEY_MATCH);
	assert_int_equal(check("198.51.100.238", 2222, &skipped), HOSTKEY_UNKNOWN);
	snprintf(text, sizeof(text), "%s ssh-ed25519 %s\n", hashed_port, blob64);
	write_known(text);
	assert_int_equal(check("198.51.100.238", 2222, &skipped), HOSTKEY_MATCH);
	assert_int_equal(check("198.51.100.238", 22, &skipped), HOSTKEY_UNKNOWN);
	/* a list of names on one line */
	snprintf(text, sizeof(text), "mailgw,[198.51.100.238]:2222 ssh-ed25519 %s\n", blob64);
	write_known(text);
	assert_int_equal(check("198.51.100.238", 2222, &skipped), HOSTKEY_MATCH);
}

/* a key on an @revoked line is refused, also when another line lists it */
static void test_revoked(void **s)
{
	char text[768], revoked64[sizeof(blob64)];
	unsigned skipped;

	(void)s;
	make_blob(8);
	snprintf(text, sizeof(text),
		 "203.0.113.7 ssh-ed25519 %s\n"
		 "@revoked * ssh-ed25519 %s old key\n", blob64, blob64);
	write_known(text);
	assert_int_equal(check("203.0.113.7", 22, &skipped), HOSTKEY_REVOKED);
	assert_int_equal(check("203.0.113.8", 2222, &skipped), HOSTKEY_REVOKED);
	assert_int_equal(skipped, 0);
	/* another key revoked: this one still matches */
	memcpy(revoked64, blob64, sizeof(blob64));
	make_blob(9);
	snprintf(text, sizeof(text),
		 "@revoked 203.0.113.7 ssh-ed25519 %s\n"
		 "203.0.113.7 ssh-ed25519 %s\n", revoked64, blob64);
	write_known(text);
	assert_int_equal(check("203.0.113.7", 22, &skipped), HOSTKEY_MATCH);
}

static void test_unparsable_lines_skipped(void **s)
{
	char text[512];
	unsigned skipped;

	(void)s;
	make_blob(4);
	snprintf(text, sizeof(text),
		 "@cert-authority *.example.net ssh-ed25519 %s\n"
		 "broken-line-without-key\n"
		 "203.0.113.7 ssh-ed25519 %s\n", blob64, blob64);
	write_known(text);
	assert_int_equal(check("203.0.113.7", 22, &skipped), HOSTKEY_MATCH);
	assert_true(skipped >= 1);
}

static void test_missing_file_is_empty(void **s)
{
	unsigned skipped;

	(void)s;
	unlink(path);
	make_blob(5);
	assert_int_equal(check("203.0.113.7", 22, &skipped), HOSTKEY_UNKNOWN);
	assert_int_equal(skipped, 0);
}

static void test_known_algorithms(void **s)
{
	struct roam_error e;
	char text[256], algs[128];
	unsigned skipped;
	struct hostkey_db *db;

	(void)s;
	make_blob(6);
	snprintf(text, sizeof(text), "203.0.113.9 ssh-ed25519 %s\n", blob64);
	write_known(text);
	assert_non_null(db = hostkey_load(session, path, &skipped, &e));
	hostkey_known_algorithms(db, "203.0.113.9", 22, algs, sizeof(algs));
	assert_string_equal(algs, "ssh-ed25519");
	hostkey_known_algorithms(db, "203.0.113.10", 22, algs, sizeof(algs));
	assert_string_equal(algs, "");
	hostkey_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_plain_match_changed_unknown),
		cmocka_unit_test(test_host_port_entries),
		cmocka_unit_test(test_other_port_needs_a_port_entry),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_unparsable_lines_skipped),
		cmocka_unit_test(test_missing_file_is_empty),
		cmocka_unit_test(test_known_algorithms),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
