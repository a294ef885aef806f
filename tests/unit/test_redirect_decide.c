/* SPDX-License-Identifier: MIT */
/* roam-redirect: the decision from real state files in a temporary directory.
 * The only probe sent goes to 127.0.0.1. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../redirect/decide.h"

struct fixture {
	char dir[64];
	struct in_addr target;
	time_t now;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/roam-test-decide.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	inet_pton(AF_INET, "198.51.100.180", &f->target);
	f->now = time(NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void put(const struct fixture *f, const char *name, const char *text)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void put_state(const struct fixture *f, const char *state, long long checked)
{
	char line[128];

	snprintf(line, sizeof(line), "v1 %s %lld %lld 0 dgram\n", state, checked - 5, checked);
	put(f, "198.51.100.180", line);
}

static enum redirect_state classify(const struct fixture *f, long max_age,
				    struct roam_probestate *st)
{
	struct roam_error e;

	return redirect_state_classify(f->dir, f->target, max_age, f->now, st, &e);
}

static void fresh_state_decides(void **state)
{
	struct fixture *f = *state;
	struct roam_probestate st;

	put_state(f, "alive", f->now - 10);
	assert_int_equal(classify(f, 120, &st), STATE_FRESH);
	assert_true(st.alive);
	put_state(f, "dead", f->now);
	assert_int_equal(classify(f, 120, &st), STATE_FRESH);
	assert_false(st.alive);
}

static void old_or_future_state_is_stale(void **state)
{
	struct fixture *f = *state;
	struct roam_probestate st;

	put_state(f, "alive", f->now - 120);	/* exactly max_age: no longer younger */
	assert_int_equal(classify(f, 120, &st), STATE_STALE);
	put_state(f, "alive", f->now - 119);
	assert_int_equal(classify(f, 120, &st), STATE_FRESH);
	put_state(f, "alive", f->now + 3600);	/* the clock went back */
	assert_int_equal(classify(f, 120, &st), STATE_STALE);
}

static void missing_file_or_dir_is_missing(void **state)
{
	struct fixture *f = *state;
	struct roam_probestate st;
	struct roam_error e;

	assert_int_equal(classify(f, 120, &st), STATE_MISSING);
	assert_int_equal(redirect_state_classify("/nonexistent/roam", f->target, 120, f->now,
						 &st, &e), STATE_MISSING);
}

static void corrupt_state_is_bad(void **state)
{
	static const char *const bad[] = {
		"", "garbage\n", "v1 alive 1 2 3 dgram", "v1 alive 1 2 3 dgram\nextra",
		"v2 alive 1 2 3 dgram\n", "v1 maybe 1 2 3 dgram\n", "v1 alive 9 2 3 dgram\n",
		"v1 alive -1 2 3 dgram\n", "v1 alive 1 2 3 tcp:0\n",
	};
	struct fixture *f = *state;
	struct roam_probestate st;
	char path[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		put(f, "198.51.100.180", bad[i]);
		assert_int_equal(classify(f, 120, &st), STATE_BAD);
	}
	/* a directory where the file should be */
	snprintf(path, sizeof(path), "%s/198.51.100.180", f->dir);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(classify(f, 120, &st), STATE_BAD);
	rmdir(path);
}

static struct decide_in input(const struct fixture *f)
{
	return (struct decide_in){ .target = f->target, .state_dir = f->dir, .max_age = 120,
				   .deadline_ms = 300, .method = "auto" };
}

static void decide_follows_the_state(void **state)
{
	struct fixture *f = *state;
	struct decide_in in = input(f);
	struct decision d;

	put_state(f, "alive", f->now - 1);
	redirect_decide(&in, &d);
	assert_true(d.alive);
	assert_false(d.trouble);
	assert_non_null(strstr(d.why, "state file: alive"));
	put_state(f, "dead", f->now - 1);
	redirect_decide(&in, &d);
	assert_false(d.alive);
	put(f, "198.51.100.180", "v1 alive junk\n");
	redirect_decide(&in, &d);
	assert_false(d.alive);
	assert_true(d.trouble);
	assert_non_null(strstr(d.why, "malformed"));
}

/* a listening socket on 127.0.0.1: the own probe's tcp method finds it */
static int listener(unsigned short *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static void stale_state_probes(void **state)
{
	struct fixture *f = *state;
	struct decide_in in = input(f);
	struct decision d;
	unsigned short port;
	char method[32], path[128];
	int s = listener(&port);

	inet_pton(AF_INET, "127.0.0.1", &in.target);
	snprintf(method, sizeof(method), "tcp:%u", port);
	in.method = method;
	put(f, "127.0.0.1", "v1 dead 1 1 0 none\n");	/* stale: 1970 */
	redirect_decide(&in, &d);
	assert_true(d.alive);
	assert_non_null(strstr(d.why, "stale"));
	assert_non_null(strstr(d.why, "own probe (tcp)"));
	snprintf(path, sizeof(path), "%s/127.0.0.1", f->dir);
	assert_int_equal(unlink(path), 0);
	redirect_decide(&in, &d);	/* missing: the same */
	assert_true(d.alive);
	close(s);
}

static void bad_method_is_away(void **state)
{
	struct fixture *f = *state;
	struct decide_in in = input(f);
	struct decision d;

	in.method = "carrier-pigeon";
	redirect_decide(&in, &d);	/* no file: it would probe, but cannot */
	assert_false(d.alive);
	assert_true(d.trouble);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fresh_state_decides, setup, teardown),
		cmocka_unit_test_setup_teardown(old_or_future_state_is_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file_or_dir_is_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_state_is_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(decide_follows_the_state, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_state_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_method_is_away, setup, teardown),
	};

	return cmocka_run_group_tests_name("redirect decide", tests, NULL, NULL);
}
