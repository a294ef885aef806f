/* SPDX-License-Identifier: MIT */
/* The state file line: format, strict parse (garbage is refused), and the
 * atomic write + read round trip in a real temporary directory. */
#include <arpa/inet.h>
#include <errno.h>
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

#include "probestate.h"

static void formats_the_documented_line(void **state)
{
	struct roam_probestate s = { .alive = true, .since = 1764000000, .checked = 1764000030,
				     .rtt_us = 420, .method = ROAM_PROBE_ICMP };
	char buf[ROAM_PROBESTATE_MAX];

	(void)state;
	assert_int_equal(roam_probestate_format(&s, buf, sizeof(buf)),
			 (int)strlen("v1 alive 1764000000 1764000030 420 icmp\n"));
	assert_string_equal(buf, "v1 alive 1764000000 1764000030 420 icmp\n");
	s = (struct roam_probestate){ .alive = false, .since = 5, .checked = 5,
				      .method = ROAM_PROBE_TCP, .tcp_port = 25 };
	roam_probestate_format(&s, buf, sizeof(buf));
	assert_string_equal(buf, "v1 dead 5 5 0 tcp:25\n");
}

static void format_refuses_invalid_states(void **state)
{
	struct roam_probestate s = { .since = 10, .checked = 9, .method = ROAM_PROBE_DGRAM };
	char buf[ROAM_PROBESTATE_MAX];

	(void)state;
	assert_int_equal(roam_probestate_format(&s, buf, sizeof(buf)), -1);
	s = (struct roam_probestate){ .since = 1, .checked = 2, .method = ROAM_PROBE_TCP };
	assert_int_equal(roam_probestate_format(&s, buf, sizeof(buf)), -1);
	s.tcp_port = 25;
	assert_int_equal(roam_probestate_format(&s, buf, 8), -1);
}

static void parses_every_method(void **state)
{
	static const struct { const char *line; enum roam_probe_method m; unsigned port; } ok[] = {
		{ "v1 alive 1 2 3 icmp\n", ROAM_PROBE_ICMP, 0 },
		{ "v1 alive 0 0 0 dgram\n", ROAM_PROBE_DGRAM, 0 },
		{ "v1 dead 1 2 0 tcp:65535\n", ROAM_PROBE_TCP, 65535 },
		{ "v1 dead 9223372036854775807 9223372036854775807 4294967295 none\n",
		  ROAM_PROBE_NONE, 0 },
	};
	struct roam_probestate s;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		char back[ROAM_PROBESTATE_MAX];

		assert_true(roam_probestate_parse(ok[i].line, &s, NULL));
		assert_int_equal(s.method, ok[i].m);
		assert_int_equal(s.tcp_port, ok[i].port);
		/* what parses formats back to the same bytes */
		assert_true(roam_probestate_format(&s, back, sizeof(back)) > 0);
		assert_string_equal(back, ok[i].line);
	}
	assert_true(roam_probestate_parse("v1 dead 1 2 0 tcp:25\n", &s, NULL));
	assert_false(s.alive);
	assert_int_equal(s.since, 1);
	assert_int_equal(s.checked, 2);
}

static void refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"", "\n", "v1", "v1 alive 1 2 3 icmp", "v1 alive 1 2 3 icmp\n\n",
		"v1 alive 1 2 3 icmp\nv1 alive 1 2 3 icmp\n", "v2 alive 1 2 3 icmp\n",
		"V1 alive 1 2 3 icmp\n", " v1 alive 1 2 3 icmp\n", "v1  alive 1 2 3 icmp\n",
		"v1 Alive 1 2 3 icmp\n", "v1 up 1 2 3 icmp\n", "v1 alive -1 2 3 icmp\n",
		"v1 alive +1 2 3 icmp\n", "v1 alive 01 2 3 icmp\n", "v1 alive 1 2 3 icmp \n",
		"v1 alive 1 2 3 icmp\r\n", "v1 alive 3 2 3 icmp\n", "v1 alive 1 2 3 ICMP\n",
		"v1 alive 1 2 3 tcp\n", "v1 alive 1 2 3 tcp:0\n", "v1 alive 1 2 3 tcp:65536\n",
		"v1 alive 1 2 3 tcp:025\n", "v1 alive 1 2 4294967296 icmp\n",
		"v1 alive 9223372036854775808 9223372036854775808 3 icmp\n",
		"v1 alive 1 99999999999999999999999 3 icmp\n", "v1 alive 1 2 3\n",
		"v1 alive 1 2 icmp\n", "v1 alive 1 2 3 icmpx\n", "v1 alive 1 2 0x3 icmp\n",
		"v1 ali", "garbage\n", "v1 dead 1 2 3 tcp:25:1\n",
	};
	struct roam_probestate s = { .since = 77 };
	struct roam_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e.msg[0] = '\0';
		assert_false(roam_probestate_parse(bad[i], &s, &e));
		assert_true(e.msg[0] != '\0');
		assert_int_equal(s.since, 77);	/* untouched on failure */
	}
}

static char *temp_dir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/test_probestate.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void write_then_read_round_trips(void **state)
{
	struct roam_probestate s = { .alive = true, .since = 100, .checked = 160, .rtt_us = 812,
				     .method = ROAM_PROBE_DGRAM }, got;
	char *dir = temp_dir(), path[128], name[ROAM_PROBESTATE_NAME_MAX];
	struct in_addr a;
	struct stat st;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	inet_pton(AF_INET, "198.51.100.180", &a);
	roam_probestate_name(a, name);
	assert_string_equal(name, "198.51.100.180");
	assert_true(roam_probestate_write_at(dirfd, a, &s, NULL));
	assert_true(roam_probestate_read(dir, a, &got, NULL));
	assert_true(got.alive);
	assert_int_equal(got.since, 100);
	assert_int_equal(got.checked, 160);
	assert_int_equal(got.rtt_us, 812);
	assert_int_equal(got.method, ROAM_PROBE_DGRAM);
	snprintf(path, sizeof(path), "%s/198.51.100.180", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	unlink(path);
	close(dirfd);
	rmdir(dir);
}

static void read_reports_missing_and_malformed(void **state)
{
	char *dir = temp_dir(), path[128];
	struct roam_probestate got;
	struct roam_error e;
	struct in_addr a;
	FILE *f;

	(void)state;
	inet_pton(AF_INET, "203.0.113.230", &a);
	assert_false(roam_probestate_read(dir, a, &got, &e));
	assert_non_null(strstr(e.msg, "203.0.113.230"));
	snprintf(path, sizeof(path), "%s/203.0.113.230", dir);
	f = fopen(path, "w");
	fputs("v1 alive 1 2 3 icmp\ntrailing", f);
	fclose(f);
	assert_false(roam_probestate_read(dir, a, &got, &e));
	assert_non_null(strstr(e.msg, "malformed"));
	f = fopen(path, "w");
	for (int i = 0; i < 200; i++)
		fputc('x', f);
	fclose(f);
	assert_false(roam_probestate_read(dir, a, &got, &e));
	assert_non_null(strstr(e.msg, "too long"));
	unlink(path);
	rmdir(dir);
}

/* alive/away decides where mail goes: a stranger must not be able to plant it */
static void read_refuses_what_others_can_write(void **state)
{
	struct roam_probestate s = { .alive = true, .since = 1, .checked = 2,
				     .method = ROAM_PROBE_DGRAM }, got;
	char *dir = temp_dir(), path[128];
	struct roam_error e = { "" };
	struct in_addr a;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);

	(void)state;
	inet_pton(AF_INET, "198.51.100.181", &a);
	assert_true(roam_probestate_write_at(dirfd, a, &s, NULL));
	snprintf(path, sizeof(path), "%s/198.51.100.181", dir);
	assert_int_equal(chmod(path, 0666), 0);
	assert_false(roam_probestate_read(dir, a, &got, &e));
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(e.msg, "writable by others (mode 0666)"));
	assert_int_equal(chmod(path, 0644), 0);
	assert_true(roam_probestate_read(dir, a, &got, &e));
	assert_int_equal(chmod(dir, 0777), 0);
	assert_false(roam_probestate_read(dir, a, &got, &e));
	assert_non_null(strstr(e.msg, "writable by others (mode 0777)"));
	assert_int_equal(chmod(dir, 0755), 0);
	/* in /tmp (sticky, world-writable) a directory of another user's is
	 * squatting; in a directory root keeps it is the probe's own account */
	if (geteuid() == 0) {
		char svc[128], file[160];

		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_false(roam_probestate_read(dir, a, &got, &e));
		assert_non_null(strstr(e.msg, "owned by uid 65534, neither root nor you"));
		snprintf(svc, sizeof(svc), "%s/svc", dir);
		snprintf(file, sizeof(file), "%s/198.51.100.181", svc);
		assert_int_equal(mkdir(svc, 0755), 0);
		assert_int_equal(rename(path, file), 0);
		assert_int_equal(chown(dir, 0, 0), 0);
		assert_int_equal(chown(svc, 65534, 65534), 0);
		assert_int_equal(chown(file, 65534, 65534), 0);
		assert_true(roam_probestate_read(svc, a, &got, &e));
		assert_int_equal(chown(file, 1, 1), 0);
		assert_false(roam_probestate_read(svc, a, &got, &e));
		assert_non_null(strstr(e.msg, "owned by uid 1, not by its directory's owner"));
		unlink(file);
		rmdir(svc);
	}
	unlink(path);
	close(dirfd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats_the_documented_line),
		cmocka_unit_test(format_refuses_invalid_states),
		cmocka_unit_test(parses_every_method),
		cmocka_unit_test(refuses_garbage),
		cmocka_unit_test(write_then_read_round_trips),
		cmocka_unit_test(read_reports_missing_and_malformed),
		cmocka_unit_test(read_refuses_what_others_can_write),
	};

	return cmocka_run_group_tests_name("probestate", tests, NULL, NULL);
}
