/* SPDX-License-Identifier: MIT */
/*
 * deliver_mda.c — a message to `sh -c COMMAND` on its stdin; exit 0 = delivered.
 *
 * The MDA runs in a process group of its own: when the shell does not exec the
 * command (a pipeline, a script), killing the shell alone would leave its
 * children to see end of input and file a truncated message. Abort kills the
 * whole group.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"

extern char **environ;

/* ---- MDA ------------------------------------------------------------------ */

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

static int mda_wait(struct deliver_msg *m)
{
	int status = 0;

	while (waitpid(m->pid, &status, 0) < 0 && errno == EINTR)
		;
	m->pid = 0;
	return status;
}

bool mda_commit(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	int status;

	close(m->fd);	/* end of file for the MDA */
	m->fd = -1;
	status = mda_wait(m);
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
 * pipeline) might deliver a part. The whole group: the shell and whatever it
 * started. */
void mda_abort(struct deliver_msg *m)
{
	if (m->pid > 0) {
		kill(-m->pid, SIGKILL);
		mda_wait(m);
	}
}

