/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "redirectd_activate.h"

#define SD_LISTEN_FDS_START 3

/* a plain decimal without sign or junk, else -1 */
static long decimal(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end ? -1 : v;
}

/* fd is a listening stream socket (unix or inet): where it listens */
static bool check_socket(int fd, char *where, size_t len, struct roam_error *e)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss), il = sizeof(int);
	int type = 0, listening = 0;
	char addr[INET6_ADDRSTRLEN];

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &il) < 0 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &il) < 0 || !listening ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return roam_error_set(e, "socket activation: descriptor %d is not a listening "
				      "stream socket", fd);
	if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;

		snprintf(where, len, "%.100s (from systemd)",
			 sl > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0] ?
			 un->sun_path : "an unnamed unix socket");
	} else if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		snprintf(where, len, "%s:%u (from systemd)", addr, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		snprintf(where, len, "[%s]:%u (from systemd)", addr, ntohs(in6->sin6_port));
	} else {
		return roam_error_set(e, "socket activation: descriptor %d is neither a unix nor "
				      "an inet socket", fd);
	}
	/* the event loop never blocks in accept; no child inherits it */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return roam_error_set(e, "socket activation: descriptor %d: %s", fd, strerror(errno));
	return true;
}

int rd_activated(struct rd_listeners *ls, struct roam_error *e)
{
	long pid = decimal(getenv("LISTEN_PID")), n = decimal(getenv("LISTEN_FDS"));
	const char *fds = getenv("LISTEN_FDS");
	struct rd_listeners got;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (pid != (long)getpid())
		return 0;	/* not for us (or not activated at all) */
	if (n < 1 || n > (long)(sizeof(got.fd) / sizeof(got.fd[0]))) {
		roam_error_set(e, "socket activation: LISTEN_FDS=%.20s: roam-redirectd takes 1 or 2 "
			       "sockets (ListenStream= in the .socket unit)", fds ? fds : "");
		return -1;
	}
	memset(&got, 0, sizeof(got));
	for (long i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + (int)i;

		if (!check_socket(fd, got.where[i], sizeof(got.where[i]), e))
			return -1;
		got.fd[got.n++] = fd;
	}
	*ls = got;	/* path "": systemd's socket, not ours to unlink */
	return 1;
}
