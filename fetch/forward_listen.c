/* SPDX-License-Identifier: MIT */
/*
 * forward_listen.c — where --forward listens: 127.0.0.1 (or ADDR):PORT, or a
 * unix socket in a directory only the user can enter.
 *
 * The unix socket is bound through the directory's descriptor
 * (/proc/self/fd/N/NAME), so the directory checked is the one the socket
 * lands in, whatever is renamed meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "exits.h"
#include "forward.h"
#include "log.h"

static bool parse_unix(const char *path, struct forward_spec *out, struct roam_error *e)
{
	char copy[sizeof(out->path)];
	const char *base;

	if (!*path || strlen(path) >= sizeof(out->path))
		return roam_error_set(e, "--forward unix:%s: the path must be 1-%zu characters",
				      path, sizeof(out->path) - 1);
	snprintf(out->path, sizeof(out->path), "%s", path);
	snprintf(copy, sizeof(copy), "%s", path);
	base = basename(copy);
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..") ||
	    path[strlen(path) - 1] == '/')
		return roam_error_set(e, "--forward unix:%s: names no socket", path);
	out->is_unix = true;
	return true;
}

bool forward_parse(const char *spec, struct forward_spec *out, struct roam_error *e)
{
	const char *colon = strrchr(spec, ':');
	const char *port_s = colon ? colon + 1 : spec;
	long port;

	*out = (struct forward_spec){ .in = { .sin_family = AF_INET,
					       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) } };
	if (!strncmp(spec, "unix:", 5))
		return parse_unix(spec + 5, out, e);
	if (!roam_parse_long(port_s, 1, 65535, &port))
		return roam_error_set(e, "--forward `%s': the port must be 1..65535", spec);
	out->in.sin_port = htons((uint16_t)port);
	if (colon) {
		char addr[64];

		if ((size_t)(colon - spec) >= sizeof(addr))
			return roam_error_set(e, "--forward `%s': bad address", spec);
		memcpy(addr, spec, (size_t)(colon - spec));
		addr[colon - spec] = '\0';
		if (!roam_parse_ipv4(addr, &out->in.sin_addr, e))
			return roam_error_set(e, "--forward `%s': `%s' is not an IPv4 address",
					      spec, addr);
	}
	return true;
}

static int listen_tcp(struct forward_listener *l, const struct sockaddr_in *sa,
		      struct roam_error *e)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a));
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (fd < 0 || bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    listen(fd, 16) < 0) {
		roam_error_set(e, "listen on %s:%u: %s", a, ntohs(sa->sin_port), strerror(errno));
		if (fd >= 0)
			close(fd);
		return FETCH_EXIT_SOCKET;
	}
	roam_info("forwarding %s:%u", a, ntohs(sa->sin_port));
	l->fd = fd;
	return 0;
}

/* the directory of the socket: ours, and closed to everyone else; made 0700
 * when missing (its parent must exist) */
static int private_dir(const char *dir, struct roam_error *e)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return roam_error_set(e, "%s: %s", dir, strerror(errno)), -1;
	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		roam_error_set(e, "%s: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		roam_error_set(e, "%s: %s (mode %04o); the socket needs a directory only you "
			       "can enter (chmod 700)", dir,
			       st.st_uid != geteuid() ? "not yours" : "others can enter it",
			       (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
}

/* the socket's name through the checked directory's descriptor */
static bool socket_addr(const struct forward_listener *l, struct sockaddr_un *sun)
{
	int n;

	*sun = (struct sockaddr_un){ .sun_family = AF_UNIX };
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/", l->dirfd);
	if (n < 0 || strlen(l->name) >= sizeof(sun->sun_path) - (size_t)n)
		return false;
	memcpy(sun->sun_path + n, l->name, strlen(l->name) + 1);
	return true;
}

/* a socket left by a run that died is removed; a live one is refused */
static int clear_old_socket(struct forward_listener *l, const char *shown, struct roam_error *e)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (fstatat(l->dirfd, l->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : (roam_error_set(e, "%s: %s", shown, strerror(errno)),
					      FETCH_EXIT_IOERR);
	if (!S_ISSOCK(st.st_mode))
		return roam_error_set(e, "%s: exists and is no socket", shown), FETCH_EXIT_IOERR;
	if (!socket_addr(l, &sun))
		return roam_error_set(e, "%s: the name is too long for a socket", shown),
		       FETCH_EXIT_SYNTAX;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		return roam_error_set(e, "%s: in use by another forward", shown), FETCH_EXIT_SOCKET;
	unlinkat(l->dirfd, l->name, 0);
	return 0;
}

static int listen_unix(struct forward_listener *l, const char *path, struct roam_error *e)
{
	struct sockaddr_un sun;
	char dir[sizeof(((struct forward_spec *)0)->path)], base[sizeof(dir)];
	struct stat st;
	int code;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(l->name, sizeof(l->name), "%s", basename(base));
	if ((l->dirfd = private_dir(dirname(dir), e)) < 0)
		return FETCH_EXIT_IOERR;
	if ((code = clear_old_socket(l, path, e)) != 0)
		return code;
	if (!socket_addr(l, &sun))
		return roam_error_set(e, "%s: the name is too long for a socket", path),
		       FETCH_EXIT_SYNTAX;
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    fchmodat(l->dirfd, l->name, 0600, 0) < 0 || listen(l->fd, 16) < 0 ||
	    fstatat(l->dirfd, l->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return roam_error_set(e, "listen on %s: %s", path, strerror(errno)),
		       FETCH_EXIT_SOCKET;
	l->ino = st.st_ino;
	l->bound = true;
	roam_info("forwarding unix:%s", path);
	return 0;
}

int forward_listen(struct forward_listener *l, const struct forward_spec *spec,
		   struct roam_error *e)
{
	*l = (struct forward_listener){ .fd = -1, .dirfd = -1 };
	return spec->is_unix ? listen_unix(l, spec->path, e) : listen_tcp(l, &spec->in, e);
}

void forward_unlisten(struct forward_listener *l)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	/* our socket only: another forward may have replaced it meanwhile */
	if (l->bound && fstatat(l->dirfd, l->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_ino == l->ino)
		unlinkat(l->dirfd, l->name, 0);
	if (l->dirfd >= 0)
		close(l->dirfd);
	*l = (struct forward_listener){ .fd = -1, .dirfd = -1 };
}
