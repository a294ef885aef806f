/* SPDX-License-Identifier: MIT */
/*
 * redirectd-load SOCKET CLIENTS REQUESTS NRCPT: CLIENTS processes, each on
 * one persistent connection to roam-redirectd's unix SOCKET, send REQUESTS
 * transport lookups one after the other, as a Postfix trivial-rewrite does
 * (a request, then wait for its reply), for recipients user<I>@example.org
 * with I spread over 0..NRCPT-1 (and one in eight not in the table).
 * Prints "lookups/s p50_us p99_us max_us" over every request of every
 * client; the clock runs from the moment all are connected until the last
 * one is done. Exits 1 on any error or unexpected reply. A bench tool:
 * figures, no verdict on them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../redirect/netstring.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* one request, then read until its whole netstring reply is in */
static int lookup(int fd, unsigned rcpt, unsigned nrcpt)
{
	char key[96], req[128], rep[512];
	size_t n = 0, rlen;
	int kl;

	if (rcpt % 8 == 7)
		kl = snprintf(key, sizeof(key), "transport nobody%u@example.org", rcpt);
	else
		kl = snprintf(key, sizeof(key), "transport user%u@example.org", rcpt % nrcpt);
	rlen = netstring_format(req, sizeof(req), key, (size_t)kl);
	if (write(fd, req, rlen) != (ssize_t)rlen)
		return -1;
	for (;;) {
		const char *data;
		size_t dlen, used;
		ssize_t r = read(fd, rep + n, sizeof(rep) - n);

		if (r <= 0)
			return -1;
		n += (size_t)r;
		switch (netstring_parse(rep, n, sizeof(rep), &data, &dlen, &used)) {
		case NETSTRING_OK:
			return (dlen >= 3 && (!memcmp(data, "OK ", 3) || !memcmp(data, "NOTFOUND ", 9)))
				? 0 : -1;
		case NETSTRING_MORE:
			continue;
		default:
			return -1;
		}
	}
}

static int client(const char *sock, int go, unsigned id, unsigned reqs, unsigned nrcpt,
		  float *lat)
{
	int fd = connect_unix(sock);
	char c;
	uint32_t x = 2463534242u ^ (id * 2654435761u);

	if (fd < 0 || read(go, &c, 1) < 0)
		return 1;
	for (unsigned i = 0; i < reqs; i++) {
		double t0 = now_us();

		x ^= x << 13, x ^= x >> 17, x ^= x << 5;	/* xorshift: any recipient */
		if (lookup(fd, x % (nrcpt + nrcpt / 7 + 1), nrcpt) < 0)
			return 1;
		lat[i] = (float)(now_us() - t0);
	}
	close(fd);
	return 0;
}

static int by_value(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	unsigned clients, reqs, nrcpt;
	float *lat;
	int go[2], failed = 0;
	double t0, t1;
	size_t total;

	if (argc != 5 || !(clients = (unsigned)atoi(argv[2])) || !(reqs = (unsigned)atoi(argv[3])) ||
	    !(nrcpt = (unsigned)atoi(argv[4]))) {
		fprintf(stderr, "usage: redirectd-load SOCKET CLIENTS REQUESTS NRCPT\n");
		return 2;
	}
	total = (size_t)clients * reqs;
	lat = mmap(NULL, total * sizeof(*lat), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED || pipe(go) < 0) {
		perror("redirectd-load");
		return 1;
	}
	for (unsigned i = 0; i < clients; i++) {
		pid_t p = fork();

		if (p == 0) {
			close(go[1]);
			_exit(client(argv[1], go[0], i, reqs, nrcpt, lat + (size_t)i * reqs));
		}
		if (p < 0) {
			perror("redirectd-load: fork");
			return 1;
		}
	}
	close(go[0]);
	usleep(200000);	/* let every client connect before the clock starts */
	t0 = now_us();
	close(go[1]);	/* EOF: go */
	for (unsigned i = 0; i < clients; i++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	t1 = now_us();
	if (failed) {
		fprintf(stderr, "redirectd-load: a client failed (connect, I/O or a bad reply)\n");
		return 1;
	}
	qsort(lat, total, sizeof(*lat), by_value);
	printf("%.0f %.1f %.1f %.1f\n", (double)total / ((t1 - t0) / 1e6), lat[total / 2],
	       lat[total * 99 / 100], lat[total - 1]);
	return 0;
}
