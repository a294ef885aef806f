/* SPDX-License-Identifier: MIT */
/*
 * redirect-spawn — starts a command N times the way procmail starts a
 * backtick (the message written into a pipe on its stdin, its stdout read to
 * the end, then waited for) and prints the wall time per run in microseconds:
 * "mean median min max". For bench/redirect; not installed.
 *
 *   redirect-spawn N MESSAGE-FILE CMD [ARG…]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* the whole message; it must fit a pipe buffer so one write() hands it over */
static char *slurp(const char *path, size_t *len)
{
	static char buf[60000];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || (size_t)n == sizeof(buf))
		return NULL;
	*len = (size_t)n;
	return buf;
}

/* one run: spawn, feed, read, reap; false on any failure */
static bool run_once(char **argv, const char *msg, size_t len)
{
	posix_spawn_file_actions_t fa;
	int in[2], out[2], status;
	char sink[4096];
	pid_t pid;
	bool ok;

	if (pipe(in) < 0 || pipe(out) < 0)
		return false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	ok = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (ok && write(in[1], msg, len) != (ssize_t)len && errno != EPIPE)
		ok = false;
	close(in[1]);
	while (read(out[0], sink, sizeof(sink)) > 0)
		;
	close(out[0]);
	if (ok && waitpid(pid, &status, 0) != pid)
		ok = false;
	return ok;
}

int main(int argc, char **argv)
{
	size_t len;
	long n = argc > 3 ? strtol(argv[1], NULL, 10) : 0;
	char *msg = argc > 3 ? slurp(argv[2], &len) : NULL;
	double *t, sum = 0;

	if (n < 1 || !msg) {
		fprintf(stderr, "usage: redirect-spawn N MESSAGE-FILE(<60000 bytes) CMD [ARG...]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return 1;
	for (long i = 0; i < n; i++) {
		double start = now_us();

		if (!run_once(argv + 3, msg, len)) {
			fprintf(stderr, "redirect-spawn: %s failed: %s\n", argv[3], strerror(errno));
			return 1;
		}
		t[i] = now_us() - start;
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.1f %.1f %.1f %.1f\n", sum / n, t[n / 2], t[0], t[n - 1]);
	free(t);
	return 0;
}
