/* SPDX-License-Identifier: MIT */
/* roam-redirectd: the netstring parser and one socketmap request's reply. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>

#include "../../redirect/netstring.h"
#include "../../redirect/socketmap.h"
#include "../../redirect/statecache.h"
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
static struct state_cache *states;
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
	states = state_cache_new(test_dir, table.n);
	ctx = (struct socketmap_ctx){ .table = &table, .states = states, .max_age = 120 };
	return 0;
}

static int untables(void **state)
{
	redirect_table_free(&table);
	state_cache_free(states);
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

/* path's mtime back by ago seconds: out of the cache's racy window */
static void age_file(const char *path, long ago)
{
	struct timespec t[2] = { { .tv_sec = now - ago }, { .tv_sec = now - ago } };

	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static enum redirect_state classify(struct state_cache *c, const char *addr, time_t at,
				    struct roam_probestate *st)
{
	struct in_addr a;
	struct roam_error e;

	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	return state_cache_classify(c, 0, a, 120, at, st, &e);
}

/* every change of a state file is seen on the next lookup, cached or not:
 * a rename, an in-place write that keeps size and mtime (its ctime moves), a
 * mode someone else could write, removal; a replaced directory within a
 * second */
static void state_cache_sees_changes(void **state)
{
	char alive[128], dead[128], dir[1024], old[1024], file[1100], tmp[1100];
	struct roam_probestate st;
	struct state_cache *c;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_path("st"));
	snprintf(old, sizeof(old), "%s", test_path("st.old"));
	snprintf(file, sizeof(file), "%s/198.51.100.190", dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	snprintf(alive, sizeof(alive), "v1 alive %lld %lld 400 dgram\n", (long long)now - 60,
		 (long long)now - 5);
	snprintf(dead, sizeof(dead), "v1 dead %lld %lld 4000 dgram\n", (long long)now - 60,
		 (long long)now - 5);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_non_null(c = state_cache_new(dir, 1));
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_MISSING);
	put_state("st/198.51.100.190", alive);
	age_file(file, 100);
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_FRESH);
	assert_true(st.alive);
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_FRESH);	/* cached */
	assert_true(st.alive);
	/* roam-probe's way: a new file renamed over the old */
	put_state("st/tmp", dead);
	age_file(tmp, 100);
	assert_int_equal(rename(tmp, file), 0);
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_FRESH);
	assert_false(st.alive);
	/* in place, same size, the mtime put back: the ctime still moves */
	sleep(1);	/* a ctime tick apart even on coarse clocks */
	put_state("st/198.51.100.190", alive);
	age_file(file, 100);
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_FRESH);
	assert_true(st.alive);
	/* the cache does not outlive the trust rules */
	assert_int_equal(chmod(file, 0666), 0);
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_BAD);
	assert_int_equal(chmod(file, 0644), 0);
	assert_int_equal(classify(c, "198.51.100.190", now, &st), STATE_FRESH);
	/* stale by its CHECKED, even when cached */
	assert_int_equal(classify(c, "198.51.100.190", now + 200, &st), STATE_STALE);
	/* a directory replaced: seen once its second is over */
	assert_int_equal(rename(dir, old), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	put_state("st/198.51.100.190", dead);
	age_file(file, 100);
	assert_int_equal(classify(c, "198.51.100.190", now + 200, &st), STATE_STALE);
	assert_int_equal(classify(c, "198.51.100.190", now + 1, &st), STATE_FRESH);
	assert_false(st.alive);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(classify(c, "198.51.100.190", now + 1, &st), STATE_MISSING);
	state_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(netstrings_parse),
		cmocka_unit_test(netstrings_format),
		cmocka_unit_test(requests_are_answered),
		cmocka_unit_test(state_cache_sees_changes),
	};

	return cmocka_run_group_tests_name("redirectd netstrings and socketmap", tests, tables,
					   untables);
}
