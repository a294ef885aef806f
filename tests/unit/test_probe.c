/* SPDX-License-Identifier: MIT */
/* The probe engine: method parsing, probe spreading, the fallback order, and
 * real TCP probes against 127.0.0.1 (a listener and a closed port are both
 * "alive"). Dead hosts and ICMP need namespaces: tests/lab/probe-*.t. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "probe.h"

static void parses_methods(void **state)
{
	struct roam_probe_opts o;
	struct roam_error e;

	(void)state;
	roam_probe_opts_init(&o);
	assert_int_equal(o.count, 3);
	assert_int_equal(o.deadline_ms, 1000);
	assert_int_equal(o.tcp_port, 25);
	assert_true(roam_probe_parse_method("tcp:2525", &o, NULL));
	assert_int_equal(o.methods[0], ROAM_PROBE_TCP);
	assert_int_equal(o.methods[1], ROAM_PROBE_NONE);
	assert_int_equal(o.tcp_port, 2525);
	assert_true(roam_probe_parse_method("dgram", &o, NULL));
	assert_int_equal(o.methods[0], ROAM_PROBE_DGRAM);
	assert_int_equal(o.tcp_port, 2525);
	assert_true(roam_probe_parse_method("auto", &o, NULL));
	assert_int_equal(o.methods[0], ROAM_PROBE_ICMP);
	assert_int_equal(o.methods[1], ROAM_PROBE_DGRAM);
	assert_int_equal(o.methods[2], ROAM_PROBE_TCP);
	static const char *const bad[] = { "", "ICMP", "tcp:", "tcp:0", "tcp:65536", "tcp:25x",
					   "tcp:-1", "udp", "auto ", "tcp: 25" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e.msg[0] = '\0';
		assert_false(roam_probe_parse_method(bad[i], &o, &e));
		assert_non_null(strstr(e.msg, bad[i]));
		assert_int_equal(o.methods[0], ROAM_PROBE_ICMP);	/* untouched */
	}
	assert_string_equal(roam_probe_method_name(ROAM_PROBE_DGRAM), "dgram");
	assert_string_equal(roam_probe_method_name(ROAM_PROBE_NONE), "none");
}

static void spreads_probes_over_the_first_half(void **state)
{
	(void)state;
	assert_int_equal(roam_probe_send_at(0, 1, 1000), 0);
	assert_int_equal(roam_probe_send_at(0, 3, 1000), 0);
	assert_int_equal(roam_probe_send_at(1, 3, 1000), 250);
	assert_int_equal(roam_probe_send_at(2, 3, 1000), 500);
	for (unsigned k = 2; k <= ROAM_PROBE_MAX_COUNT; k++) {
		unsigned prev = 0;

		for (unsigned i = 0; i < k; i++) {
			unsigned at = roam_probe_send_at(i, k, 60000);

			assert_true(at >= prev);
			assert_true(at <= 30000);
			prev = at;
		}
		assert_int_equal(prev, 30000);
	}
}

/* a listening socket on 127.0.0.1 and a port that was free a moment ago */
static int listen_local(uint16_t *port, uint16_t *closed)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), tmp = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0 && tmp >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	a.sin_port = 0;
	assert_int_equal(bind(tmp, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(tmp, (struct sockaddr *)&a, &al), 0);
	*closed = ntohs(a.sin_port);
	close(tmp);
	return fd;
}

static void tcp_accept_and_refusal_are_alive(void **state)
{
	struct roam_probe_target t[3];
	uint16_t open_port, closed_port;
	int lfd = listen_local(&open_port, &closed_port);

	(void)state;
	for (int i = 0; i < 3; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].addr.s_addr = htonl(INADDR_LOOPBACK);	/* duplicates get an answer each */
	}
	assert_int_equal(roam_probe_tcp(t, 3, 3, 2000, open_port, NULL), 1);
	for (int i = 0; i < 3; i++)
		assert_true(t[i].alive);
	memset(t, 0, sizeof(t));
	t[0].addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(roam_probe_tcp(t, 1, 1, 2000, closed_port, NULL), 1);
	assert_true(t[0].alive);
	close(lfd);
}

static int unavailable(struct roam_probe_target *t, size_t n, unsigned count,
		       unsigned deadline_ms, struct roam_error *e)
{
	(void)t, (void)n, (void)count, (void)deadline_ms;
	roam_error_set(e, "no privilege in this test");
	return 0;
}

static void falls_back_when_a_method_is_unavailable(void **state)
{
	static const struct roam_probe_ops none = { .name = "icmp", .run = unavailable };
	struct roam_probe_target t = { .addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct roam_probe_opts o;
	struct roam_error e;
	uint16_t open_port, closed_port;
	int lfd = listen_local(&open_port, &closed_port);

	(void)state;
	roam_probe_opts_init(&o);
	o.icmp = &none;
	o.methods[1] = ROAM_PROBE_TCP;	/* skip dgram: its availability depends on the host */
	o.methods[2] = ROAM_PROBE_NONE;
	o.tcp_port = open_port;
	struct roam_error skipped = { "stale" };
	o.skipped = &skipped;
	assert_int_equal(roam_probe_run(&t, 1, &o, &e), ROAM_PROBE_TCP);
	assert_true(t.alive);
	assert_int_equal(t.method, ROAM_PROBE_TCP);
	assert_string_equal(skipped.msg, "icmp: no privilege in this test");
	o.methods[0] = ROAM_PROBE_TCP;	/* nothing skipped: empty */
	assert_int_equal(roam_probe_run(&t, 1, &o, &e), ROAM_PROBE_TCP);
	assert_string_equal(skipped.msg, "");
	o.methods[0] = ROAM_PROBE_ICMP;
	o.skipped = NULL;
	/* only unavailable methods: an error that says why for each */
	o.methods[1] = ROAM_PROBE_NONE;
	assert_int_equal(roam_probe_run(&t, 1, &o, &e), ROAM_PROBE_NONE);
	assert_non_null(strstr(e.msg, "no privilege in this test"));
	assert_false(t.alive);
	o.icmp = NULL;
	assert_int_equal(roam_probe_run(&t, 1, &o, &e), ROAM_PROBE_NONE);
	assert_non_null(strstr(e.msg, "icmp: not available"));
	o.count = 0;
	assert_int_equal(roam_probe_run(&t, 1, &o, &e), ROAM_PROBE_NONE);
	close(lfd);
}

/* dgram either probes 127.0.0.1 (group allowed) or says it is unavailable */
static void dgram_answers_or_is_unavailable(void **state)
{
	struct roam_probe_target t = { .addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct roam_error e = { "" };
	int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	int r = roam_probe_dgram(&t, 1, 3, 2000, &e);

	(void)state;
	if (fd >= 0) {
		assert_int_equal(r, 1);
		assert_true(t.alive);
		close(fd);
	} else {
		assert_int_equal(r, 0);
		assert_non_null(strstr(e.msg, "ping_group_range"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_methods),
		cmocka_unit_test(spreads_probes_over_the_first_half),
		cmocka_unit_test(tcp_accept_and_refusal_are_alive),
		cmocka_unit_test(falls_back_when_a_method_is_unavailable),
		cmocka_unit_test(dgram_answers_or_is_unavailable),
	};

	return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
