/* SPDX-License-Identifier: MIT */
/*
 * deliver_mda.c — a message to `sh -c COMMAND` on its stdin; exit 0 = delivered.
 *
 * The MDA runs in a process group of its own: when the shell does not exec the
 * command (a pipeline, a script), killing the shell alone would leave its
 * children to see end of input and file a truncated message. Abort and the
 * timeout kill the whole group. An MDA that neither reads for `timeout`
 * seconds nor exits within `timeout` seconds of its input's end is killed:
 * a delivery failure, the message stays on the server.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"

extern char **environ;

/* sh -c COMMAND with the message on stdin: a socket, so that writes to an MDA
 * that has exited fail with EPIPE instead of raising SIGPIPE (MSG_NOSIGNAL) */
bool mda_begin(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	char *argv[] = { "sh", "-c", t->where, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot start", t->where, errno);
	/* the MDA starts with default signals, whatever roam-fetch ignores, in
	 * a new process group (pgid = its pid) that abort can kill as a whole */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETPGROUP);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	err = posix_spawn(&m->pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(sv[1]);
	m->fd = sv[0];
	if (err) {
		m->pid = 0;
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot start", t->where, err);
	}
	shutdown(m->fd, SHUT_RD);
	return true;
}

static bool mda_timed_out(struct deliver_msg *m, const char *what, struct roam_error *e)
{
	m->t->exit_code = FETCH_EXIT_DELIVERY;
	return roam_error_set(e, "MDA '%s' %s for %d s: killed; the message stays on the server",
			      m->t->where, what, m->t->timeout);
}

/* waits until fd is ready for events; false after the timeout (errno 0) or
 * on an error */
static bool wait_ready(int fd, short events, int timeout_s)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	while ((n = poll(&p, 1, timeout_s * 1000)) < 0 && errno == EINTR)
		;
	if (n == 0)
		errno = 0;
	return n > 0;
}

/* send(MSG_NOSIGNAL), not write: an MDA that exits early must give EPIPE,
 * not a SIGPIPE that kills roam-fetch. Non-blocking, so that an MDA that
 * stops reading cannot hold us longer than the timeout. */
bool mda_send(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e)
{
	while (len > 0 && !m->mda_gone) {
		ssize_t n = send(m->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			m->mda_gone = true;	/* its exit status decides */
			return true;
		}
		if (n < 0 && errno == EAGAIN) {
			if (wait_ready(m->fd, POLLOUT, m->t->timeout))
				continue;
			if (errno == 0)
				return mda_timed_out(m, "read nothing", e);
		}
		if (n < 0)
			return deliver_fail(m->t, FETCH_EXIT_IOERR, e, "cannot write to", m->t->where,
					    errno);
		p += n;
		len -= (size_t)n;
	}
	return true;
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

/* Without a pidfd (a kernel before 5.3, valgrind): waitpid(WNOHANG) with
 * pauses from 1 ms growing to 64 ms, until the deadline */
static bool mda_poll_exit(struct deliver_msg *m, int *status)
{
	struct timespec now, end, pause = { .tv_nsec = 1000 * 1000 };
	pid_t got;

	*status = 0;	/* as mda_reap: what waitpid leaves when it fails */
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += m->t->timeout;
	for (;;) {
		while ((got = waitpid(m->pid, status, WNOHANG)) < 0 && errno == EINTR)
			;
		if (got != 0) {
			m->pid = 0;
			return true;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return false;
		nanosleep(&pause, NULL);
		if (pause.tv_nsec < 64 * 1000 * 1000)
			pause.tv_nsec *= 2;
	}
}

/* until the MDA exits, at most the timeout; false when it did not */
static bool mda_wait(struct deliver_msg *m, int *status)
{
	int pidfd = pidfd_open(m->pid, 0);
	bool exited;

	if (pidfd < 0)
		return mda_poll_exit(m, status);
	exited = wait_ready(pidfd, POLLIN, m->t->timeout);
	close(pidfd);
	if (exited)
		*status = mda_reap(m);
	return exited;
}

bool mda_commit(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	int status;

	close(m->fd);	/* end of file for the MDA */
	m->fd = -1;
	if (!mda_wait(m, &status)) {
		mda_kill(m);
		return mda_timed_out(m, "did not exit", e);
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

/* killed before its stdin closes: at end of file it (or a command of its
 * pipeline) might deliver a part */
void mda_abort(struct deliver_msg *m)
{
	if (m->pid > 0)
		mda_kill(m);
}
