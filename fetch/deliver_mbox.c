/* SPDX-License-Identifier: MIT */
/*
 * deliver_mbox.c — appending to an mbox in batches.
 *
 * A batch takes the dot lock and the fcntl lock before its first message and
 * keeps them until deliver_sync has made it durable (at most RUN_BATCH
 * messages or about a second), so its messages sit side by side from the
 * offset the journal records. Each keyed message starts with a marker line
 * "X-Roam-Tmp: NONCE KEY"; deliver_sync fsyncs the batch, flips every marker
 * to "X-Roam-Key" and fsyncs again. After a crash, deliver_journal finds the
 * batch: Key markers are delivered, Tmp ones are cut off and fetched again.
 * A message that fails is truncated away at once; a batch that is closed
 * without deliver_sync is truncated back to where it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"
#include "fdio.h"
#include "log.h"

static void pause_100ms(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
}

/* ---- the dot lock: PATH.lock holding "PID HOST" --------------------------- */

static void lock_path(const struct deliver_target *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s.lock", t->where);
}

/* A lock is left over when it is older than DOTLOCK_STALE, or when it says
 * it was taken on this host by a process that no longer exists (a run killed
 * in the middle of a batch): no need to make the next run wait 5 minutes.
 * Judged on the open file fd (fstat st), so that what is removed later can
 * be checked to be this very file. */
static bool dotlock_stale(int fd, const struct stat *st)
{
	char text[128], host[HOST_NAME_MAX + 1], their[HOST_NAME_MAX + 1];
	long pid;
	ssize_t n;

	if (time(NULL) - st->st_mtime > DOTLOCK_STALE)
		return true;
	n = read(fd, text, sizeof(text) - 1);
	if (n <= 0 || gethostname(host, sizeof(host)) < 0)
		return false;
	text[n] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (sscanf(text, "%ld %64s", &pid, their) != 2 || strcmp(their, host) != 0 || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static bool dotlock_take(const char *lock, int *err)
{
	char text[HOST_NAME_MAX + 32], host[HOST_NAME_MAX + 1] = "";
	int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		*err = errno;
		return false;
	}
	gethostname(host, sizeof(host) - 1);
	int n = snprintf(text, sizeof(text), "%ld %s\n", (long)getpid(), host);

	/* the content only helps the next run tell a dead owner; a lock
	 * without it still locks */
	if (!roam_write_all(fd, text, (size_t)n))
		(void)0;
	close(fd);
	return true;
}

/* Removes a left-over lock, and only the file judged left over. Two runs that
 * both find one dead lock must not both remove "the lock": the second would
 * remove the fresh lock the first has taken meanwhile. So a breaker holds
 * flock on the lock file it judged while it checks that the name still
 * points to that file and unlinks it: a second breaker cannot get that flock
 * until the first is done, and then finds the name on another file (or none)
 * and leaves it. True when the lock is gone (removed, or by itself). */
static bool dotlock_break(const char *lock)
{
	int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat judged, now;
	bool gone = false;

	if (fd < 0)
		return errno == ENOENT;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &judged) == 0 &&
	    S_ISREG(judged.st_mode) && dotlock_stale(fd, &judged)) {
		if (lstat(lock, &now) < 0)
			gone = errno == ENOENT;
		else if (now.st_dev == judged.st_dev && now.st_ino == judged.st_ino)
			gone = unlink(lock) == 0 || errno == ENOENT;
	}
	close(fd);	/* drops the flock */
	return gone;
}

/* PATH.lock, for readers that only know dotlocks. Where the directory is not
 * writable (a shared spool) the fcntl lock has to do. */
static bool mbox_dotlock(struct deliver_target *t, struct roam_error *e)
{
	char lock[PATH_MAX + 8];
	int err = 0;

	lock_path(t, lock, sizeof(lock));
	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		if (dotlock_take(lock, &err)) {
			t->mb.dotlocked = true;
			return true;
		}
		if (err == EACCES || err == EROFS) {
			/* Debian's /var/mail is root:mail 2775: no dot lock for a user */
			if (!t->mb.dotlock_skip_said)
				roam_notice("%s: cannot create the dot lock (%s): relying on the "
					    "fcntl lock alone", lock, strerror(err));
			t->mb.dotlock_skip_said = true;
			return true;
		}
		if (err != EEXIST)
			return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot create", lock, err);
		if (dotlock_break(lock))
			continue;
		pause_100ms();
	}
	return deliver_fail(t, FETCH_EXIT_IOERR, e, "mailbox stays locked by", lock, EBUSY);
}

static bool mbox_fcntl_lock(struct deliver_target *t, struct roam_error *e)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		if (fcntl(t->mb.fd, F_SETLK, &fl) == 0)
			return true;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			break;
		pause_100ms();
	}
	return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot lock", t->where, errno);
}

/* Both locks, t->mb.fd open on the mbox and *st its fstat. Without create, a
 * missing mbox is no error: false with t->mb.fd -1 and errno ENOENT. */
bool mbox_lock(struct deliver_target *t, bool create, struct stat *st, struct roam_error *e)
{
	if (!mbox_dotlock(t, e))
		return false;
	/* opened after the dotlock: a reader may have replaced the file meanwhile */
	t->mb.fd = open(t->where, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | (create ? O_CREAT : 0),
			0600);
	if (t->mb.fd < 0) {
		int err = errno;

		mbox_unlock(t);
		errno = err;
		return err == ENOENT && !create ? false
						: deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot open mbox",
							       t->where, err);
	}
	if (!mbox_fcntl_lock(t, e))
		goto fail;
	if (fstat(t->mb.fd, st) < 0) {
		deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot stat", t->where, errno);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		deliver_fail(t, FETCH_EXIT_IOERR, e, "not appending to", t->where, EINVAL);
		goto fail;
	}
	return true;
fail:
	mbox_unlock(t);
	errno = 0;
	return false;
}

/* unlock in the reverse order; closing the fd drops the fcntl lock */
void mbox_unlock(struct deliver_target *t)
{
	char lock[PATH_MAX + 8];

	if (t->mb.fd >= 0)
		close(t->mb.fd);
	t->mb.fd = -1;
	if (t->mb.dotlocked) {
		lock_path(t, lock, sizeof(lock));
		unlink(lock);
		t->mb.dotlocked = false;
	}
}

/* ---- a batch ------------------------------------------------------------- */

static bool batch_start(struct deliver_target *t, struct roam_error *e)
{
	unsigned char r[MBOX_NONCE_LEN / 2];
	struct stat st;

	if (!mbox_lock(t, true, &st, e))
		return false;
	t->mb.start = st.st_size;
	t->mb.nmarks = 0;
	if (t->jdirfd < 0)
		return true;	/* no journal, no markers: nothing to recover */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		deliver_fail(t, FETCH_EXIT_IOERR, e, "no random nonce for", t->where, errno);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(t->mb.nonce + 2 * i, 3, "%02x", r[i]);
	/* durable before the first byte of the batch is */
	if (journal_write(t, &st, e))
		return true;
fail:
	mbox_unlock(t);
	return false;
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
	m->sep = m->size;
	m->size = 0;	/* for filters_end, the message starts here */
	return true;
}

bool mbox_begin(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	struct stat st;

	m->mark = -1;
	if (!(m->header = malloc(MBOX_HEADER_MAX)))
		return roam_error_set(e, "out of memory");
	if (t->mb.fd < 0 && !batch_start(t, e))
		return false;
	m->fd = t->mb.fd;	/* the batch's: mbox_commit or mbox_abort gives it back */
	if (fstat(m->fd, &st) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot stat", t->where, errno);
	m->old_size = st.st_size;
	return mbox_separate(m, e);
}

static bool remember_mark(struct deliver_target *t, off_t mark)
{
	if (t->mb.nmarks == t->mb.cap) {
		size_t cap = t->mb.cap ? 2 * t->mb.cap : 64;
		off_t *grown = realloc(t->mb.marks, cap * sizeof(*grown));

		if (!grown)
			return false;
		t->mb.marks = grown;
		t->mb.cap = cap;
	}
	t->mb.marks[t->mb.nmarks++] = mark;
	return true;
}

/* a message that failed: truncated away; the batch keeps its locks */
void mbox_abort(struct deliver_msg *m)
{
	if (m->fd < 0)
		return;
	if (ftruncate(m->fd, m->old_size) < 0)
		(void)0;	/* nothing more can be done; the error is already set */
	m->fd = -1;
}

/* a message that is whole: it stays in the batch, its marker remembered for
 * deliver_sync. Without room for the mark it could never become "Key": it
 * goes, and deliver_commit fails, so its UIDL is not recorded. */
bool mbox_commit(struct deliver_msg *m, struct roam_error *e)
{
	if (m->mark >= 0 && !remember_mark(m->t, m->mark)) {
		mbox_abort(m);
		return roam_error_set(e, "out of memory");
	}
	m->fd = -1;	/* the batch's, not the message's */
	return true;
}

/* "Tmp" → "Key" in each marker, checked first: under our locks nobody may
 * have moved them. O_APPEND would send pwrite to the end of the file. */
static bool flip_marks(struct deliver_target *t, struct roam_error *e)
{
	int flags = fcntl(t->mb.fd, F_GETFL);

	if (flags < 0 || fcntl(t->mb.fd, F_SETFL, flags & ~O_APPEND) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot patch", t->where, errno);
	for (size_t i = 0; i < t->mb.nmarks; i++) {
		char have[MBOX_MARK_LEN];
		off_t at = t->mb.marks[i];

		if (pread(t->mb.fd, have, sizeof(have), at) != (ssize_t)sizeof(have) ||
		    memcmp(have, MBOX_MARK_TMP, sizeof(have)) != 0)
			return deliver_fail(t, FETCH_EXIT_IOERR, e, "changed under our lock:",
					    t->where, EIO);
		if (pwrite(t->mb.fd, &MBOX_MARK_KEY[MBOX_MARK_FLIP], 3, at + MBOX_MARK_FLIP) != 3)
			return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot patch", t->where, errno);
	}
	return true;
}

/* The batch durable, its markers flipped and durable too, the locks given
 * back. The second fsync lets the journal go without an fsync of its own: a
 * "Key" marker on disk always means a durable message. */
bool mbox_sync(struct deliver_target *t, struct roam_error *e)
{
	if (t->mb.fd < 0)
		return true;
	/* its bytes follow the batch's: the locks could not be given back */
	if (t->busy)
		return roam_error_set(e, "deliver_sync while a message is open");
	if (fsync(t->mb.fd) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot sync", t->where, errno);
	if (t->mb.nmarks) {
		if (!flip_marks(t, e))
			return false;
		if (fdatasync(t->mb.fd) < 0)
			return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot sync", t->where, errno);
	}
	t->mb.nmarks = 0;
	mbox_unlock(t);
	return true;
}

/* without deliver_sync: the batch's UIDLs are not recorded, so it goes */
void mbox_close(struct deliver_target *t)
{
	if (t->mb.fd >= 0 && ftruncate(t->mb.fd, t->mb.start) < 0)
		(void)0;	/* the journal's recovery cuts it off next time */
	mbox_unlock(t);
	free(t->mb.marks);
	t->mb.marks = NULL;
}
