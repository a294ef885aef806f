/* SPDX-License-Identifier: MIT */
/*
 * deliver_mda.c — a message to `sh -c COMMAND` on its stdin; exit 0 = delivered.
 *
 * The message is first spooled to an unlinked file in $TMPDIR (or /tmp), and
 * the MDA starts only at deliver_commit, when the message is whole and the
 * server has confirmed it, with that file as its stdin. So no MDA ever sees a
 * part of a message as the whole: not when the connection breaks, and not
 * when roam-fetch is killed (a pipe to a running MDA would end early then,
 * and the MDA would file what it got). The MDA runs in a process group of its
 * own, so that the timeout kills a pipeline or script as a whole. It may go
 * `timeout` seconds without reading (its position in the shared file tells),
 * and has `timeout` seconds to exit once it has read everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"

extern char **environ;

enum { MDA_TICK_MS = 100 };	/* how often a waiting MDA's progress is looked at */

static const char *spool_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d == '/' ? d : "/tmp";
}

/* an unlinked file: nothing to clean up after a crash */
bool mda_begin(struct deliver_msg *m, struct roam_error *e)
{
	const char *dir = spool_dir();
	char path[4096];

	m->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (m->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		snprintf(path, sizeof(path), "%s/roam-fetch.XXXXXX", dir);
		m->fd = mkostemp(path, O_CLOEXEC);
		if (m->fd >= 0)
			unlink(path);
	}
	if (m->fd < 0)
		return deliver_fail(m->t, FETCH_EXIT_IOERR, e, "cannot spool the message in", dir,
				    errno);
	return true;
}

/* sh -c COMMAND, stdin the spool (sharing its file position with m->fd), with
 * default signals, whatever roam-fetch ignores, in a new process group
 * (pgid = its pid) that a timeout can kill as a whole */
static bool mda_spawn(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	char *argv[] = { "sh", "-c", t->where, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int err;

	if (lseek(m->fd, 0, SEEK_SET) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot rewind the spool for", t->where,
				    errno);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETPGROUP);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, m->fd, 0);
	err = posix_spawn(&m->pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err) {
		m->pid = 0;
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot start", t->where, err);
	}
	return true;
}

static bool mda_timed_out(struct deliver_msg *m, const char *what, struct roam_error *e)
{
	m->t->exit_code = FETCH_EXIT_DELIVERY;
	return roam_error_set(e, "MDA '%s' %s for %d s: killed; the message stays on the server",
			      m->t->where, what, m->t->timeout);
}

static int mda_reap(struct deliver_msg *m)
{
	int status = 0;

	while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
		;
	m->pid = 0;
	return status;
}

/* the whole group: the shell and whatever it started */
static void mda_kill(struct deliver_msg *m)
{
	kill(-m->pid, SIGKILL);
	mda_reap(m);
}

/* whether the MDA exited within ms: a poll on its pidfd, or without one (a
 * kernel before 5.3, valgrind) a waitpid(WNOHANG) after a pause */
static bool mda_exited(struct deliver_msg *m, int pidfd, int ms, int *status)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	pid_t got;

	if (pidfd >= 0) {
		if (poll(&p, 1, ms) <= 0)
			return false;
		*status = mda_reap(m);
		return true;
	}
	while ((got = waitpid(m->pid, status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (got != 0) {
		m->pid = 0;
		return true;
	}
	nanosleep(&(struct timespec){ .tv_nsec = ms * 1000L * 1000 }, NULL);
	return false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* until the MDA exits; NULL, or why it was given up (then it still runs) */
static const char *mda_wait(struct deliver_msg *m, off_t size, int *status)
{
	int pidfd = pidfd_open(m->pid, 0);
	off_t read_to = 0, at;
	double last = now_s();
	const char *why = NULL;

	*status = 0;	/* as mda_reap: what waitpid leaves when it fails */
	while (!mda_exited(m, pidfd, MDA_TICK_MS, status)) {
		/* the MDA moves the file position it shares with m->fd */
		at = lseek(m->fd, 0, SEEK_CUR);
		if (at != read_to) {
			read_to = at;
			last = now_s();
		} else if (now_s() - last >= m->t->timeout) {
			why = at >= size ? "did not exit" : "read nothing";
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return why;
}

bool mda_commit(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	const char *why;
	struct stat st;
	int status;

	if (fstat(m->fd, &st) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot stat the spool for", t->where,
				    errno);
	if (!mda_spawn(m, e))
		return false;
	if ((why = mda_wait(m, st.st_size, &status))) {
		mda_kill(m);
		return mda_timed_out(m, why, e);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	t->exit_code = FETCH_EXIT_DELIVERY;
	if (WIFEXITED(status))
		return roam_error_set(e, "MDA '%s' failed with exit status %d; the message stays "
				      "on the server", t->where, WEXITSTATUS(status));
	return roam_error_set(e, "MDA '%s' killed by signal %d; the message stays on the server",
			      t->where, WTERMSIG(status));
}

/* before deliver_commit nothing was started; the spool goes with m->fd */
void mda_abort(struct deliver_msg *m)
{
	if (m->pid > 0)
		mda_kill(m);
}
