/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statecache.h"
#include "statefile.h"
#include "trust.h"

/* a file younger than this (by mtime) is read on every lookup */
#define STATE_CACHE_RACY_S 2

struct state_slot {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	struct roam_probestate st;
	bool valid;
};

struct state_cache {
	char *dir;
	int dirfd;		/* -1: not open (or it failed: dir_err says why) */
	int dir_errno;
	struct roam_error dir_err;
	time_t opened;		/* when dirfd was opened or last failed to */
	size_t nslots;
	struct state_slot slots[];
};

struct state_cache *state_cache_new(const char *dir, size_t nslots)
{
	struct state_cache *c = calloc(1, sizeof(*c) + nslots * sizeof(c->slots[0]));

	if (!c || !(c->dir = strdup(dir))) {
		free(c);
		return NULL;
	}
	c->dirfd = -1;
	c->opened = -1;
	c->nslots = nslots;
	return c;
}

void state_cache_free(struct state_cache *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->dir);
	free(c);
}

/* the directory through the trusted walk, again once a second */
static bool open_dir(struct state_cache *c, time_t now, struct roam_error *e)
{
	if (c->opened != now) {
		int fd = roam_open_trusted_flags(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
						 ROAM_TRUST_DELEGATED, &c->dir_err);

		c->dir_errno = errno;
		if (fd < 0 && c->dir_errno != EPERM)
			roam_error_set(&c->dir_err, "cannot open state directory '%s': %s", c->dir,
				       strerror(c->dir_errno));
		if (c->dirfd >= 0)
			close(c->dirfd);
		c->dirfd = fd;
		c->opened = now;
	}
	if (c->dirfd >= 0)
		return true;
	if (e)
		*e = c->dir_err;
	errno = c->dir_errno;
	return false;
}

static bool same_file(const struct state_slot *s, const struct stat *st)
{
	return s->valid && s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
	       s->mtime.tv_sec == st->st_mtim.tv_sec && s->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       s->ctime.tv_sec == st->st_ctim.tv_sec && s->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* a's file opened through roam_openat_trusted (owner and mode checked on
 * the descriptor), its identity from that descriptor, then read and parsed */
static bool read_file(struct state_cache *c, struct state_slot *s, const char *name,
		      struct roam_probestate *out, struct roam_error *e)
{
	struct stat st;

	if (!roam_probestate_read_trusted(c->dirfd, name, out, &st, e))
		return false;
	/* the identity of what was checked and read: a later stat that shows
	 * the same one is the same inode, unchanged (a chmod, chown or write
	 * moves its ctime) */
	*s = (struct state_slot){ .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
				  .mtime = st.st_mtim, .ctime = st.st_ctim, .st = *out,
				  .valid = true };
	return true;
}

/* the parsed state of a's file, from the slot or read afresh */
static bool state_of(struct state_cache *c, struct state_slot *s, struct in_addr a, time_t now,
		     struct roam_probestate *out, struct roam_error *e)
{
	char name[ROAM_PROBESTATE_NAME_MAX];
	struct stat st;

	roam_probestate_name(a, name);
	if (s->valid && fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    same_file(s, &st) && st.st_mtim.tv_sec < now - STATE_CACHE_RACY_S) {
		*out = s->st;
		return true;
	}
	s->valid = false;
	return read_file(c, s, name, out, e);
}

enum redirect_state state_cache_classify(struct state_cache *c, size_t slot, struct in_addr a,
					 long max_age, time_t now, struct roam_probestate *st,
					 struct roam_error *e)
{
	struct state_slot none = { .valid = false };
	struct state_slot *s = slot < c->nslots ? &c->slots[slot] : &none;

	if (!open_dir(c, now, e) || !state_of(c, s, a, now, st, e))
		return errno == ENOENT ? STATE_MISSING : STATE_BAD;
	return redirect_state_age(st, max_age, now);
}
