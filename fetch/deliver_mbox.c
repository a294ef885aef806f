/* SPDX-License-Identifier: MIT */
/*
 * deliver_mbox.c — appending to an mbox: dotlock and fcntl lock, a separating
 * blank line, truncation back to the old size when a message fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"

/* ---- mbox --------------------------------------------------------------- */

static void pause_100ms(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
}

/* PATH.lock, for readers that only know dotlocks. A lock older than
 * DOTLOCK_STALE seconds is left over from a crash and removed. Where the
 * directory is not writable (a shared spool) the fcntl lock has to do. */
static bool mbox_dotlock(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	char lock[4096];

	snprintf(lock, sizeof(lock), "%s.lock", t->where);
	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		struct stat st;

		if (fd >= 0) {
			close(fd);
			m->dotlocked = true;
			return true;
		}
		if (errno == EACCES || errno == EROFS)
			return true;
		if (errno != EEXIST)
			return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot create", lock, errno);
		if (stat(lock, &st) == 0 && time(NULL) - st.st_mtime > DOTLOCK_STALE) {
			unlink(lock);
			continue;
		}
		pause_100ms();
	}
	return deliver_fail(t, FETCH_EXIT_IOERR, e, "mailbox stays locked by", lock, EBUSY);
}

static void mbox_dotunlock(struct deliver_msg *m)
{
	char lock[4096];

	if (!m->dotlocked)
		return;
	snprintf(lock, sizeof(lock), "%s.lock", m->t->where);
	unlink(lock);
	m->dotlocked = false;
}

static bool mbox_fcntl_lock(struct deliver_msg *m, struct roam_error *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		if (fcntl(m->fd, F_SETLK, &fl) == 0)
			return true;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			break;
		pause_100ms();
	}
	return deliver_fail(m->t, FETCH_EXIT_IOERR, e, "cannot lock", m->t->where, errno);
}

/* a From_ line must follow an empty line: repair a mailbox that lacks one */
static bool mbox_separate(struct deliver_msg *m, struct roam_error *e)
{
	char tail[2] = { '\n', '\n' };
	size_t have = m->old_size < 2 ? (size_t)m->old_size : 2;

	if (have && pread(m->fd, tail + 2 - have, have, m->old_size - (off_t)have) != (ssize_t)have)
		return deliver_fail(m->t, FETCH_EXIT_IOERR, e, "cannot read", m->t->where, errno);
	if (tail[1] != '\n' && !deliver_out_put(m, "\n\n", 2, e))
		return false;
	if (tail[1] == '\n' && tail[0] != '\n' && !deliver_out_put(m, "\n", 1, e))
		return false;
	m->size = 0;	/* for filters_end, the message starts here */
	return true;
}

bool mbox_begin(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	struct stat st;

	if (!(m->header = malloc(MBOX_HEADER_MAX)))
		return roam_error_set(e, "out of memory");
	if (!mbox_dotlock(m, e))
		return false;
	/* opened after the dotlock: a reader may have replaced the file meanwhile */
	m->fd = open(t->where, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (m->fd < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot open mbox", t->where, errno);
	if (!mbox_fcntl_lock(m, e))
		return false;
	if (fstat(m->fd, &st) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot stat", t->where, errno);
	if (!S_ISREG(st.st_mode))
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "not appending to", t->where, EINVAL);
	m->old_size = st.st_size;
	return mbox_separate(m, e);
}

/* keeps the fd for deliver_sync; one per mailbox file is enough */
static void mbox_keep_for_sync(struct deliver_msg *m)
{
	struct deliver_target *t = m->t;
	struct stat a, b;

	if (t->mbox_sync_fd >= 0 && fstat(t->mbox_sync_fd, &a) == 0 && fstat(m->fd, &b) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
		close(m->fd);
	} else {
		/* the file was replaced under us: the old one is synced now */
		if (t->mbox_sync_fd >= 0) {
			fsync(t->mbox_sync_fd);
			close(t->mbox_sync_fd);
		}
		t->mbox_sync_fd = m->fd;
	}
	m->fd = -1;
}

/* unlock in the reverse order, after the data is written */
void mbox_release(struct deliver_msg *m, bool keep)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (m->fd >= 0) {
		if (!keep && ftruncate(m->fd, m->old_size) < 0)
			(void)0;	/* nothing more can be done; the error is already set */
		fcntl(m->fd, F_SETLK, &fl);
		if (keep)
			mbox_keep_for_sync(m);
	}
	mbox_dotunlock(m);
}

