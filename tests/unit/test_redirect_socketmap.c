/* SPDX-License-Identifier: MIT */
/* roam-redirectd: the netstring parser and one socketmap request's reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "../../redirect/netstring.h"
#include "../../redirect/socketmap.h"
#include "testdir.h"

static enum netstring_result parse(const char *s, size_t max, char *data)
{
	const char *d;
	size_t dlen, used;
	enum netstring_result r = netstring_parse(s, strlen(s), max, &d, &dlen, &used);

	if (r == NETSTRING_OK) {
		memcpy(data, d, dlen);
		data[dlen] = '\0';
		assert_int_equal(used, (size_t)(strchr(s, ':') - s) + dlen + 2);
	}
	return r;
}

static void netstrings_parse(void **state)
{
	char d[64];

	(void)state;
	assert_int_equal(parse("10:transport,", 100, d), NETSTRING_MORE);	/* one short */
	assert_int_equal(parse("15:transport alice,", 100, d), NETSTRING_OK);
	assert_string_equal(d, "transport alice");
	assert_int_equal(parse("0:,", 100, d), NETSTRING_OK);
	assert_string_equal(d, "");
	assert_int_equal(parse("3:abc,4:next", 100, d), NETSTRING_OK);	/* the first only */
	assert_string_equal(d, "abc");
	/* prefixes need more */
	assert_int_equal(parse("", 100, d), NETSTRING_MORE);
	assert_int_equal(parse("1", 100, d), NETSTRING_MORE);
	assert_int_equal(parse("15", 100, d), NETSTRING_MORE);
	assert_int_equal(parse("15:", 100, d), NETSTRING_MORE);
	assert_int_equal(parse("15:transport ali", 100, d), NETSTRING_MORE);
	/* never a netstring */
	assert_int_equal(parse(":abc,", 100, d), NETSTRING_BAD);
	assert_int_equal(parse("3:abcd", 100, d), NETSTRING_BAD);	/* no ',' after DATA */
	assert_int_equal(parse("03:abc,", 100, d), NETSTRING_BAD);	/* leading zero */
	assert_int_equal(parse("-3:abc,", 100, d), NETSTRING_BAD);
	assert_int_equal(parse("3x:abc,", 100, d), NETSTRING_BAD);
	assert_int_equal(parse(" 3:abc,", 100, d), NETSTRING_BAD);
	/* longer than the caller allows: refused before the data arrives */
	assert_int_equal(parse("101:", 100, d), NETSTRING_BAD);
	assert_int_equal(parse("100:", 100, d), NETSTRING_MORE);
	assert_int_equal(parse("99999999999999999999999:", 1024, d), NETSTRING_BAD);
}

static void netstrings_format(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(netstring_format(out, sizeof(out), "OK x", 4), 7);
	assert_memory_equal(out, "4:OK x,", 7);
	assert_int_equal(netstring_format(out, sizeof(out), "", 0), 3);
	assert_memory_equal(out, "0:,", 3);
	assert_int_equal(netstring_format(out, 6, "OK x", 4), 0);	/* does not fit */
}

static struct redirect_table table;
static struct socketmap_ctx ctx;
static time_t now;

static void put_state(const char *addr, const char *what)
{
	FILE *f = fopen(test_path(addr), "w");

	assert_non_null(f);
	fputs(what, f);
	assert_int_equal(fclose(f), 0);
}

static int tables(void **state)
{
	FILE *f;

	if (testdir_setup(state))
		return -1;
	f = fopen(test_path("recipients"), "w");
	fputs("alice@example.org 198.51.100.180 alice@laptop.example.net\n"
	      "bob@example.org 198.51.100.181 bob@laptop.example.net\n"
	      "carol@example.org 198.51.100.182 carol@laptop.example.net\n"
	      "dave@example.org 198.51.100.183 dave@laptop.example.net\n", f);
	fclose(f);
	chmod(test_path("recipients"), 0644);
	if (!redirect_table_load(&table, test_path("recipients"), NULL))
		return -1;
	now = time(NULL);
	ctx = (struct socketmap_ctx){ .table = &table, .state_dir = test_dir, .max_age = 120 };
	return 0;
}

static int untables(void **state)
{
	redirect_table_free(&table);
	return testdir_teardown(state);
}

/* the reply's DATA for a request's DATA, and the why */
static const char *ask(const char *req, char *why)
{
	static char out[SOCKETMAP_REPLY_MAX], data[SOCKETMAP_REPLY_MAX];
	const char *d;
	size_t dlen, used, n = socketmap_answer(&ctx, req, strlen(req), now, out, why, 400);

	assert_int_equal(netstring_parse(out, n, sizeof(out), &d, &dlen, &used), NETSTRING_OK);
	assert_int_equal(used, n);
	memcpy(data, d, dlen);
	data[dlen] = '\0';
	return data;
}

static void requests_are_answered(void **state)
{
	static const char nul[] = "transport alice@example.org\0x";
	char line[128], why[400], out[SOCKETMAP_REPLY_MAX];
	size_t n;

	(void)state;
	snprintf(line, sizeof(line), "v1 alive %lld %lld 400 dgram\n", (long long)now - 60,
		 (long long)now - 5);
	put_state("198.51.100.180", line);
	snprintf(line, sizeof(line), "v1 dead %lld %lld 0 dgram\n", (long long)now - 60,
		 (long long)now - 5);
	put_state("198.51.100.181", line);
	snprintf(line, sizeof(line), "v1 alive %lld %lld 400 dgram\n", (long long)now - 9000,
		 (long long)now - 9000);
	put_state("198.51.100.182", line);	/* stale */
	put_state("198.51.100.183", "garbage\n");

	assert_string_equal(ask("transport alice@example.org", why), "OK smtp:[198.51.100.180]");
	assert_string_equal(why, "");
	assert_string_equal(ask("transport ALICE@Example.org", why), "OK smtp:[198.51.100.180]");
	assert_string_equal(ask("alias alice@example.org", why), "OK alice@laptop.example.net");
	assert_string_equal(ask("transport bob@example.org", why), "NOTFOUND ");
	assert_string_equal(ask("alias bob@example.org", why), "NOTFOUND ");
	assert_string_equal(ask("transport carol@example.org", why), "NOTFOUND ");	/* stale: away */
	assert_string_equal(ask("transport erin@example.org", why), "NOTFOUND ");
	assert_string_equal(ask("transport example.org", why), "NOTFOUND ");
	assert_string_equal(why, "");
	/* trouble: the safe answer, and a line for the log */
	assert_string_equal(ask("transport dave@example.org", why), "NOTFOUND ");
	assert_non_null(strstr(why, "dave@example.org"));
	/* the request itself is wrong */
	assert_string_equal(ask("virtual alice@example.org", why), "PERM unknown map: roam-redirectd has transport and alias");
	assert_memory_equal(ask("transport", why), "PERM ", 5);
	assert_string_equal(ask("transport ", why), "NOTFOUND ");
	/* a key with a NUL is no recipient of the table, not a shorter one */
	n = socketmap_answer(&ctx, nul, sizeof(nul) - 1, now, out, why, 400);
	assert_int_equal(n, 12);
	assert_memory_equal(out, "9:NOTFOUND ,", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netstrings_parse),
		cmocka_unit_test(netstrings_format),
		cmocka_unit_test(requests_are_answered),
	};

	return cmocka_run_group_tests_name("redirectd netstrings and socketmap", tests, tables,
					   untables);
}
