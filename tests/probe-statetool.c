/* SPDX-License-Identifier: MIT */
/*
 * probe-statetool — drives lib/probestate.c for tests/lab/probe-state.t:
 *   probe-statetool write DIR ADDR       rewrites ADDR's state file until killed,
 *                                        alternating alive/dead, RTT = a counter
 *   probe-statetool read DIR ADDR N      N reads; prints "ok=… bad=… distinct=…"
 *                                        (distinct: how many different lines it saw)
 * A bad read is a missing, torn, empty or malformed file: never acceptable.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probestate.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* stops between two writes on SIGTERM, so that no temporary file is left */
static int writer(int dirfd, struct in_addr a)
{
	signal(SIGTERM, on_term);
	for (uint32_t i = 1; !stop; i++) {
		struct roam_probestate s = { .alive = i & 1, .since = i, .checked = i, .rtt_us = i,
					     .method = ROAM_PROBE_ICMP };
		struct roam_error e;

		if (!roam_probestate_write_at(dirfd, a, &s, &e)) {
			fprintf(stderr, "probe-statetool: %s\n", e.msg);
			return 1;
		}
	}
	return 0;
}

static int reader(int dirfd, struct in_addr a, long n)
{
	long ok = 0, bad = 0, distinct = 0;
	uint32_t last = 0;

	for (long i = 0; i < n; i++) {
		struct roam_probestate s;
		struct roam_error e;

		if (!roam_probestate_read_at(dirfd, a, &s, &e)) {
			if (bad++ < 5)
				fprintf(stderr, "probe-statetool: %s\n", e.msg);
			continue;
		}
		/* the writer keeps RTT, SINCE and CHECKED equal and the state in step */
		if (s.rtt_us != (uint32_t)s.since || s.since != s.checked || s.alive != (s.rtt_us & 1)) {
			bad++;
			continue;
		}
		ok++;
		distinct += s.rtt_us != last;
		last = s.rtt_us;
	}
	printf("ok=%ld bad=%ld distinct=%ld\n", ok, bad, distinct);
	return bad != 0;
}

int main(int argc, char **argv)
{
	struct in_addr a;
	int dirfd;

	if (argc < 4 || inet_pton(AF_INET, argv[3], &a) != 1) {
		fprintf(stderr, "usage: probe-statetool write|read DIR ADDR [N]\n");
		return 2;
	}
	dirfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (strcmp(argv[1], "write") == 0)
		return writer(dirfd, a);
	if (strcmp(argv[1], "read") == 0 && argc == 5)
		return reader(dirfd, a, atol(argv[4]));
	fprintf(stderr, "usage: probe-statetool write|read DIR ADDR [N]\n");
	return 2;
}
