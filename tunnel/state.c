/* SPDX-License-Identifier: MIT */
/* state.c — the small state file of one tunnel. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "environ.h"
#include "state.h"
#include "statefile.h"
#include "trust.h"

#define STATE_CAP 16384

static const char *rundir(void)
{
	return tunnel_rundir();
}

/* root's state decides what `down` removes: only in a directory nobody else
 * can change (mkdir of the last component only: /run is the system's) */
static bool rundir_ready(struct roam_error *e)
{
	int fd;

	if (mkdir(rundir(), 0755) < 0 && errno != EEXIST)
		return roam_error_set(e, "%s: %s", rundir(), strerror(errno));
	if ((fd = roam_open_trusted(rundir(), O_RDONLY | O_DIRECTORY, e)) < 0)
		return false;
	close(fd);
	return true;
}

bool tunnel_state_path(const char *name, char *buf, size_t len, struct roam_error *e)
{
	int n = snprintf(buf, len, "%s/tunnel-%s.state", rundir(), name);

	return (n > 0 && (size_t)n < len) || roam_error_set(e, "state path too long");
}

void tunnel_state_key(const struct tun_obj *o, char *buf, size_t len)
{
	tun_render_del(o, buf, len);
}

bool tunnel_state_was_created(const struct tunnel_state *st, const struct tun_obj *o)
{
	char key[TUN_RENDER_MAX];

	tunnel_state_key(o, key, sizeof(key));
	for (size_t i = 0; i < st->ncreated; i++)
		if (!strcmp(st->created[i], key))
			return true;
	return false;
}

void tunnel_state_mark_created(struct tunnel_state *st, const struct tun_obj *o)
{
	if (tunnel_state_was_created(st, o) || st->ncreated >= TUN_MAX_OBJS)
		return;
	tunnel_state_key(o, st->created[st->ncreated], TUN_RENDER_MAX);
	st->ncreated++;
}

void tunnel_state_forget(struct tunnel_state *st, const struct tun_obj *o)
{
	char key[TUN_RENDER_MAX];

	tunnel_state_key(o, key, sizeof(key));
	for (size_t i = 0; i < st->ncreated; i++)
		if (!strcmp(st->created[i], key)) {
			memmove(st->created[i], st->created[i + 1],
				(st->ncreated - i - 1) * sizeof(st->created[0]));
			st->ncreated--;
			return;
		}
}

bool tunnel_state_parse(const char *text, struct tunnel_state *st, struct roam_error *e)
{
	unsigned lineno = 0;

	memset(st, 0, sizeof(*st));
	st->forward_was = -1;
	st->exists = true;
	for (const char *p = text; *p; lineno++) {
		size_t len = strcspn(p, "\n");
		char line[TUN_RENDER_MAX + 16];

		if (len >= sizeof(line))
			return roam_error_set(e, "state line %u too long", lineno + 1);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (p[len] == '\n');
		if (!strncmp(line, "forward_was ", 12) && (line[12] == '0' || line[12] == '1'))
			st->forward_was = line[12] - '0';
		else if (!strncmp(line, "remote ", 7) && inet_pton(AF_INET, line + 7, &st->remote) == 1)
			;
		else if (!strncmp(line, "resolved ", 9) &&
			 inet_pton(AF_INET, line + 9, &st->resolved) == 1)
			;
		else if (!strcmp(line, "register_pending 1"))
			st->register_pending = true;
		else if (!strncmp(line, "created ", 8) && st->ncreated < TUN_MAX_OBJS &&
			 len - 8 < TUN_RENDER_MAX)
			memcpy(st->created[st->ncreated++], line + 8, len - 7);
		else if (line[0])
			return roam_error_set(e, "state line %u not understood", lineno + 1);
	}
	return true;
}

size_t tunnel_state_format(const struct tunnel_state *st, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];
	size_t used = 0;
	int n;

	buf[0] = '\0';
#define PUT(...) do { n = snprintf(buf + used, len - used, __VA_ARGS__); \
	if (n > 0) used = used + (size_t)n < len ? used + (size_t)n : len - 1; } while (0)
	if (st->forward_was >= 0)
		PUT("forward_was %d\n", st->forward_was);
	if (st->remote.s_addr)
		PUT("remote %s\n", inet_ntop(AF_INET, &st->remote, a, sizeof(a)));
	if (st->register_pending)
		PUT("register_pending 1\n");
	if (st->resolved.s_addr)
		PUT("resolved %s\n", inet_ntop(AF_INET, &st->resolved, a, sizeof(a)));
	for (size_t i = 0; i < st->ncreated; i++)
		PUT("created %s\n", st->created[i]);
#undef PUT
	return used;
}

bool tunnel_state_load(const char *name, struct tunnel_state *st, struct roam_error *e)
{
	char path[512], *buf;
	ssize_t n;
	bool ok;

	memset(st, 0, sizeof(*st));
	st->forward_was = -1;
	if (!tunnel_state_path(name, path, sizeof(path), e))
		return false;
	if (!(buf = malloc(STATE_CAP)))
		return roam_error_set(e, "out of memory");
	n = roam_read_small(path, buf, STATE_CAP);
	if (n < 0) {
		int err = errno;

		free(buf);
		return err == ENOENT || roam_error_set(e, "%s: %s", path, strerror(err));
	}
	ok = tunnel_state_parse(buf, st, e);
	free(buf);
	if (!ok)
		return roam_error_set(e, "%s: corrupt state file", path);
	return true;
}

bool tunnel_state_save(const char *name, const struct tunnel_state *st, struct roam_error *e)
{
	char path[512], *buf;
	size_t len;
	bool ok;

	if (!tunnel_state_path(name, path, sizeof(path), e))
		return false;
	if (!rundir_ready(e))
		return false;
	if (!(buf = malloc(STATE_CAP)))
		return roam_error_set(e, "out of memory");
	len = tunnel_state_format(st, buf, STATE_CAP);
	ok = roam_atomic_write(path, buf, len, 0644, e);
	free(buf);
	return ok;
}

int tunnel_state_lock(const char *name, struct roam_error *e)
{
	char path[512];
	int fd, n = snprintf(path, sizeof(path), "%s/tunnel-%s.lock", rundir(), name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return roam_error_set(e, "lock path too long"), -1;
	if (!rundir_ready(e))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return roam_error_set(e, "%s: %s", path, strerror(errno)), -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			roam_error_set(e, "%s: lock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	return fd;
}

bool tunnel_state_remove(const char *name, struct roam_error *e)
{
	char path[512];

	if (!tunnel_state_path(name, path, sizeof(path), e))
		return false;
	if (unlink(path) < 0 && errno != ENOENT)
		return roam_error_set(e, "%s: %s", path, strerror(errno));
	return true;
}
