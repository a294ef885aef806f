/* SPDX-License-Identifier: MIT */
/*
 * redirectd-client — a socketmap client for tests/lab/redirectd-*.t (never
 * installed). ADDR is a unix socket path, or HOST:PORT for TCP.
 *
 *   query ADDR NAME KEY...   one connection, one request per KEY, each reply
 *                            printed on a line ("OK smtp:[...]", "NOTFOUND ")
 *   raw ADDR                 stdin's bytes as they are; prints what comes back
 *                            and "<closed>" when the server closes
 *   flood ADDR N             opens N connections and holds them; prints
 *                            "open N", waits for a line on stdin, then prints
 *                            "closed K": how many the server had closed
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../redirect/netstring.h"

static int dial(const char *addr)
{
	int fd;

	if (addr[0] == '/') {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", addr);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		char host[64];
		const char *colon = strrchr(addr, ':');

		if (!colon || colon - addr >= (long)sizeof(host))
			return -1;
		memcpy(host, addr, (size_t)(colon - addr));
		host[colon - addr] = '\0';
		inet_pton(AF_INET, host, &sa.sin_addr);
		sa.sin_port = htons((uint16_t)atoi(colon + 1));
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

/* reads one reply netstring; 0 ok, -1 closed or bad */
static int read_reply(int fd, char *buf, size_t cap, const char **d, size_t *dlen)
{
	size_t len = 0, used;

	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		switch (netstring_parse(buf, len, cap, d, dlen, &used)) {
		case NETSTRING_OK: return 0;
		case NETSTRING_BAD: return -1;
		case NETSTRING_MORE: if (len == cap) return -1;
		}
	}
}

static int query(const char *addr, const char *name, char **keys, int nkeys)
{
	int fd = dial(addr);
	char req[2048], reply[2048];

	if (fd < 0) {
		perror(addr);
		return 2;
	}
	for (int i = 0; i < nkeys; i++) {
		char data[1500];
		const char *d;
		size_t dlen;
		int n = snprintf(data, sizeof(data), "%s %s", name, keys[i]);
		size_t len = netstring_format(req, sizeof(req), data, (size_t)n);

		if (write(fd, req, len) != (ssize_t)len || read_reply(fd, reply, sizeof(reply), &d, &dlen)) {
			printf("<closed>\n");
			return 1;
		}
		printf("%.*s\n", (int)dlen, d);
	}
	close(fd);
	return 0;
}

static int raw(const char *addr)
{
	int fd = dial(addr);
	char buf[65536];
	ssize_t n;

	if (fd < 0) {
		perror(addr);
		return 2;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	printf("<closed>\n");
	return 0;
}

static int flood(const char *addr, int n)
{
	int *fds = calloc((size_t)n, sizeof(*fds)), open_ = 0, closed = 0;
	char line[16];

	if (!fds)
		return 2;
	for (int i = 0; i < n; i++)
		if ((fds[i] = dial(addr)) >= 0)
			open_++;
	printf("open %d\n", open_);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	for (int i = 0; i < n; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		char c;

		if (fds[i] >= 0 && poll(&p, 1, 0) == 1 && read(fds[i], &c, 1) <= 0)
			closed++;
	}
	printf("closed %d\n", closed);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "query"))
		return query(argv[2], argv[3], argv + 4, argc - 4);
	if (argc == 3 && !strcmp(argv[1], "raw"))
		return raw(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: redirectd-client query ADDR NAME KEY... | raw ADDR | flood ADDR N\n");
	return 2;
}
