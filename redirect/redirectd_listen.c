/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "redirectd_listen.h"
#include "trust.h"

enum { BACKLOG = 256 };

static bool usage(struct rd_listeners *ls, struct roam_error *e, const char *fmt, const char *a)
{
	ls->usage = true;
	return roam_error_set(e, fmt, a);
}

/* an existing entry at path: a socket nobody answers on goes, anything else stays */
static bool clear_stale(struct rd_listeners *ls, const struct sockaddr_un *sa,
			struct roam_error *e)
{
	struct stat st;
	int probe;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT || roam_error_set(e, "%s: %s", sa->sun_path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return usage(ls, e, "%s: exists and is not a socket; refusing to replace it",
			     sa->sun_path);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		close(probe);
		return roam_error_set(e, "%s: another roam-redirectd answers there", sa->sun_path);
	}
	if (probe >= 0)
		close(probe);
	return unlink(sa->sun_path) == 0 ||
	       roam_error_set(e, "%s: cannot remove the stale socket: %s", sa->sun_path,
			      strerror(errno));
}

static bool listen_unix(struct rd_listeners *ls, const char *path, const char *group,
			struct roam_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct group *g;
	mode_t old;
	int dfd, fd, r;

	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return usage(ls, e, "socket '%.200s': not an absolute path of at most 107 bytes", path);
	g = getgrnam(group);
	if (!g)
		return usage(ls, e, "socket_group '%.100s': no such group", group);
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	dfd = roam_dir_open_trusted(dirname(dir), 0755, e);
	if (dfd < 0)
		return false;
	close(dfd);
	if (!clear_stale(ls, &sa, e))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return roam_error_set(e, "socket: %s", strerror(errno));
	old = umask(0117);	/* born 0660: never a moment open to others */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chown(path, (uid_t)-1, g->gr_gid) < 0 || listen(fd, BACKLOG) < 0) {
		roam_error_set(e, "%s: %s", path, strerror(errno));
		if (r == 0)
			unlink(path);
		close(fd);
		return false;
	}
	strcpy(ls->path, path);
	ls->fd[ls->n] = fd;
	snprintf(ls->where[ls->n++], sizeof(ls->where[0]), "%s", path);
	return true;
}

static bool listen_tcp(struct rd_listeners *ls, const char *spec, struct roam_error *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[32];
	const char *colon = strrchr(spec, ':');
	long port;
	int fd, one = 1;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return usage(ls, e, "listen '%.100s': not ADDR:PORT", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (!roam_parse_ipv4(host, &sa.sin_addr, NULL) || !roam_parse_long(colon + 1, 1, 65535, &port))
		return usage(ls, e, "listen '%.100s': not ADDR:PORT (IPv4, port 1-65535)", spec);
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return roam_error_set(e, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, BACKLOG) < 0) {
		roam_error_set(e, "listen %s: %s", spec, strerror(errno));
		close(fd);
		return false;
	}
	ls->fd[ls->n] = fd;
	snprintf(ls->where[ls->n++], sizeof(ls->where[0]), "%s", spec);
	return true;
}

bool rd_listen(struct rd_listeners *ls, const struct roam_conf *c, struct roam_error *e)
{
	const char *tcp = roam_conf_str(c, "redirect", "listen");

	memset(ls, 0, sizeof(*ls));
	if (!listen_unix(ls, roam_conf_str(c, "redirect", "socket"),
			 roam_conf_str(c, "redirect", "socket_group"), e))
		return false;
	if (tcp && !listen_tcp(ls, tcp, e)) {
		rd_listen_close(ls);
		return false;
	}
	return true;
}

bool rd_listen_usage_error(const struct rd_listeners *ls)
{
	return ls->usage;
}

void rd_listen_close(struct rd_listeners *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		close(ls->fd[i]);
	if (ls->path[0])
		unlink(ls->path);
	ls->n = 0;
	ls->path[0] = '\0';
}
