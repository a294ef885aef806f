/* SPDX-License-Identifier: MIT */
/*
 * stream_cmd.c — the ssh_command kind of stream.h: every stream is a child
 * process (`ssh -W %h:%p mailgw`) whose stdin and stdout carry the bytes.
 *
 * The child gets a session of its own (setsid: its own process group and no
 * controlling terminal, so ssh never stops on a terminal prompt), only fds 0,
 * 1 and 2 (pipes to us), default signal dispositions, an empty signal mask,
 * our environment (which never holds the POP3 password) and
 * PR_SET_PDEATHSIG, so that it dies with us even when we are killed. Its
 * stderr is read as it comes: the last line explains a failure (-v logs
 * every line).
 *
 * A child is reaped by the dialer once its stream is closed: one that ended
 * its side (EOF on its stdout) may take LINGER_S to exit on its own, one whose
 * stream was cut (a timeout, a client gone, our exit) is sent SIGTERM at
 * once; SIGKILL follows TERM_S later, always to the whole process group
 * (ProxyJump's second ssh with it). Its exit status maps to an exit code in
 * one place, child_verdict.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "exits.h"
#include "log.h"
#include "stream.h"

enum { LINE_MAX_KEPT = 200 };
static const double LINGER_S = 2.0, TERM_S = 1.0;

struct child {
	struct child *next;
	pid_t pid;
	int err_fd;			/* its stderr, -1 once at its end */
	char part[LINE_MAX_KEPT + 1];	/* the line being read */
	size_t plen;
	char last[LINE_MAX_KEPT + 1];	/* the last non-empty line */
	bool stream_open, out_eof;
	int signals;			/* sent by us: 0, 1 (TERM), 2 (KILL) */
	double deadline;		/* for the next signal, once the stream is closed */
};

struct cmd_dialer {
	struct dialer d;
	char **argv;
	struct child *children;
	int code;			/* the first failure not told yet */
	struct roam_error fail;
};

struct cmd_stream {
	struct stream s;
	struct cmd_dialer *d;
	struct child *c;
	int in_fd, out_fd;		/* its stdin (we write), its stdout (we read) */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* one line of its stderr: printable bytes only (it is not ours to trust) */
static void end_line(struct child *c)
{
	c->part[c->plen] = '\0';
	c->plen = 0;
	if (!*c->part)
		return;
	roam_debug("ssh_command: %s", c->part);
	memcpy(c->last, c->part, sizeof(c->last));
}

/* what its stderr holds now, without waiting */
static void drain_err(struct child *c)
{
	char buf[512];
	ssize_t n;

	while (c->err_fd >= 0) {
		n = read(c->err_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(c->err_fd);
			c->err_fd = -1;
			end_line(c);
			return;
		}
		for (ssize_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)buf[i];

			if (ch == '\n')
				end_line(c);
			else if (ch != '\r' && c->plen < LINE_MAX_KEPT)
				c->part[c->plen++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
	}
}

/* The one mapping from the command's end to an exit code. ssh exits 255 for
 * its own trouble (connect, host key, authentication, the -W target), with a
 * line on stderr; "Permission denied" is how it says authentication. */
static int child_verdict(const struct child *c, int status, const char *name,
			 struct roam_error *e)
{
	const char *last = *c->last ? c->last : "(nothing on its standard error)";

	if (c->signals || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
		return 0;	/* ended well, or by us: the run says why */
	if (WIFSIGNALED(status))
		return roam_error_set(e, "ssh_command (%s) killed by signal %d: %s", name,
				      WTERMSIG(status), last),
		       FETCH_EXIT_SOCKET;
	roam_error_set(e, "ssh_command (%s) failed with exit status %d: %s", name,
		       WEXITSTATUS(status), last);
	if (WEXITSTATUS(status) == 255 && strstr(c->last, "Permission denied"))
		return FETCH_EXIT_AUTH;
	return FETCH_EXIT_SOCKET;
}

/* Reaps c when it has exited, or signals it when its time is up. True once
 * it is gone (its verdict recorded). */
static bool reap(struct cmd_dialer *d, struct child *c, double t)
{
	int status = 0;
	pid_t got;

	while ((got = waitpid(c->pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (got == 0) {
		if (t >= c->deadline && c->signals < 2) {
			kill(-c->pid, c->signals ? SIGKILL : SIGTERM);
			roam_debug("ssh_command: %s sent to pid %d", c->signals ? "SIGKILL" : "SIGTERM",
				   (int)c->pid);
			c->signals++;
			c->deadline = t + TERM_S;
		}
		return false;
	}
	drain_err(c);
	if (c->err_fd >= 0)	/* a grandchild holds it: what came is enough */
		close(c->err_fd);
	struct roam_error why = { "" };
	int code = got < 0 ? 0 : child_verdict(c, status, d->argv[0], &why);

	if (code && !d->code) {
		d->code = code;
		d->fail = why;
	}
	return true;
}

/* one pass over the children whose streams are closed; true when none is left */
static bool reap_closed(struct cmd_dialer *d)
{
	double t = now();
	bool all = true;

	for (struct child **pc = &d->children; *pc;) {
		struct child *c = *pc;

		if (!c->stream_open && reap(d, c, t)) {
			*pc = c->next;
			free(c);
			continue;
		}
		all &= c->stream_open;
		pc = &c->next;
	}
	return all;
}

static ssize_t cmd_read(struct stream *s, char *buf, size_t len)
{
	struct cmd_stream *t = (struct cmd_stream *)s;
	ssize_t n;

	drain_err(t->c);
	n = read(t->out_fd, buf, len);
	if (n > 0)
		return n;
	if (n == 0) {
		t->c->out_eof = true;
		return 0;
	}
	return errno == EAGAIN || errno == EINTR ? STREAM_AGAIN : STREAM_ENDED;
}

static ssize_t cmd_write(struct stream *s, const char *buf, size_t len)
{
	struct cmd_stream *t = (struct cmd_stream *)s;
	ssize_t n = t->in_fd < 0 ? -1 : write(t->in_fd, buf, len);

	if (n >= 0)
		return n ? n : STREAM_AGAIN;
	return errno == EAGAIN || errno == EINTR ? STREAM_AGAIN : STREAM_ENDED;	/* EPIPE: it died */
}

static int cmd_send_eof(struct stream *s)
{
	struct cmd_stream *t = (struct cmd_stream *)s;

	if (t->in_fd >= 0)
		close(t->in_fd);
	t->in_fd = -1;
	return 0;
}

static size_t cmd_poll_fds(struct stream *s, bool want_read, bool want_write, struct pollfd *fds)
{
	struct cmd_stream *t = (struct cmd_stream *)s;
	size_t n = 0;

	if (want_read) {
		fds[n++] = (struct pollfd){ .fd = t->out_fd, .events = POLLIN };
		if (t->c->err_fd >= 0)
			fds[n++] = (struct pollfd){ .fd = t->c->err_fd, .events = POLLIN };
	}
	if (want_write && t->in_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = t->in_fd, .events = POLLOUT };
	return n;
}

static void cmd_close(struct stream *s)
{
	struct cmd_stream *t = (struct cmd_stream *)s;

	cmd_send_eof(s);
	close(t->out_fd);
	t->c->stream_open = false;
	t->c->deadline = now() + (t->c->out_eof ? LINGER_S : 0);
	free(t);
}

static const struct stream_ops cmd_stream_ops = {
	.read = cmd_read, .write = cmd_write, .send_eof = cmd_send_eof,
	.poll_fds = cmd_poll_fds, .close = cmd_close,
};

/* In the child, between fork and exec: only async-signal-safe calls. The
 * pipe ends go above 3 first, so that none is overwritten when we were
 * started with 0, 1 or 2 closed; fd 3 reports a failed exec (close-on-exec:
 * a successful one closes it), everything from 4 up is closed. */
static void child_exec(char *const *argv, const int ends[4], pid_t parent)
{
	int fd[4], err;
	sigset_t none;

	for (int i = 0; i < 4; i++)
		if ((fd[i] = fcntl(ends[i], F_DUPFD_CLOEXEC, 10)) < 0)
			_exit(127);
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)	/* it died before prctl */
		_exit(127);
	if (dup2(fd[0], 0) < 0 || dup2(fd[1], 1) < 0 || dup2(fd[2], 2) < 0 ||
	    dup3(fd[3], 3, O_CLOEXEC) < 0)
		_exit(127);
	close_range(4, ~0U, 0);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);	/* we ignore SIGPIPE; ssh must not inherit that */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);	/* --forward blocks SIGTERM & co. */
	execvp(argv[0], argv);
	err = errno;
	if (write(3, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* pipes: [0] its stdin, [1] its stdout, [2] its stderr, [3] exec's report */
static bool make_pipes(int p[4][2], struct roam_error *e)
{
	for (int i = 0; i < 4; i++)
		p[i][0] = p[i][1] = -1;
	for (int i = 0; i < 4; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0)
			return roam_error_set(e, "pipe: %s", strerror(errno));
	return true;
}

static void close_pipes(int p[4][2])
{
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 2; j++)
			if (p[i][j] >= 0)
				close(p[i][j]);
}

/* 0 when exec succeeded, else its errno (the child has exited then) */
static int exec_result(int fd)
{
	int err = 0;
	ssize_t n;

	while ((n = read(fd, &err, sizeof(err))) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(err) ? err : 0;
}

static void nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* the child and our ends of its pipes; false + e */
static bool spawn(struct cmd_dialer *d, struct child *c, struct cmd_stream *t,
		  struct roam_error *e)
{
	int p[4][2], err;
	pid_t parent = getpid();

	if (!make_pipes(p, e)) {
		close_pipes(p);
		return false;
	}
	if ((c->pid = fork()) < 0) {
		close_pipes(p);
		return roam_error_set(e, "fork: %s", strerror(errno));
	}
	if (c->pid == 0)
		child_exec(d->argv, (const int[4]){ p[0][0], p[1][1], p[2][1], p[3][1] }, parent);
	t->in_fd = p[0][1];
	t->out_fd = p[1][0];
	c->err_fd = p[2][0];
	p[0][1] = p[1][0] = p[2][0] = -1;
	close(p[3][1]);
	p[3][1] = -1;
	err = exec_result(p[3][0]);
	close_pipes(p);
	if (err) {
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(t->in_fd);
		close(t->out_fd);
		close(c->err_fd);
		return roam_error_set(e, "ssh_command: cannot run `%s': %s", d->argv[0],
				      strerror(err));
	}
	nonblocking(t->in_fd);
	nonblocking(t->out_fd);
	nonblocking(c->err_fd);
	roam_debug("ssh_command: started %s (pid %d)", d->argv[0], (int)c->pid);
	return true;
}

/* A child that cannot start refuses this stream only: the next may work */
static struct stream *cmd_open(struct dialer *dd, bool *fatal, struct roam_error *e)
{
	struct cmd_dialer *d = (struct cmd_dialer *)dd;
	struct cmd_stream *t = calloc(1, sizeof(*t));
	struct child *c = calloc(1, sizeof(*c));

	*fatal = false;
	if (!t || !c) {
		free(t);
		free(c);
		return roam_error_set(e, "out of memory"), NULL;
	}
	if (!spawn(d, c, t, e)) {
		free(t);
		free(c);
		return NULL;
	}
	c->stream_open = true;
	c->next = d->children;
	d->children = c;
	t->s.ops = &cmd_stream_ops;
	t->d = d;
	t->c = c;
	return &t->s;
}

/* children lingering after their stream: looked at every 20 ms */
static bool cmd_tick(struct dialer *dd, int *timeout_ms, struct roam_error *e)
{
	(void)e;
	if (!reap_closed((struct cmd_dialer *)dd) && (*timeout_ms < 0 || *timeout_ms > 20))
		*timeout_ms = 20;
	return true;
}

static size_t cmd_dialer_poll_fds(struct dialer *dd, bool want_io, struct pollfd *fds)
{
	(void)dd, (void)want_io, (void)fds;
	return 0;	/* every child is its own transport */
}

static bool cmd_check(struct dialer *dd, const struct pollfd *fds, size_t n, struct roam_error *e)
{
	(void)dd, (void)fds, (void)n, (void)e;
	return true;
}

static int cmd_verdict(struct dialer *dd, bool wait, struct roam_error *e)
{
	struct cmd_dialer *d = (struct cmd_dialer *)dd;
	int code;

	while (!reap_closed(d) && wait)
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	if (!(code = d->code))
		return 0;
	roam_error_set(e, "%s", d->fail.msg);
	d->code = 0;
	return code;
}

static const char *cmd_why(struct dialer *dd)
{
	(void)dd;
	return "ssh_command failed";	/* never: its streams only end */
}

/* every stream is closed by now; the children still there are cut short */
static void cmd_dialer_close(struct dialer *dd, const char *why)
{
	struct cmd_dialer *d = (struct cmd_dialer *)dd;

	(void)why;
	for (struct child *c = d->children; c; c = c->next)
		if (c->stream_open) {
			c->stream_open = false;
			c->deadline = 0;
		}
	cmd_verdict(dd, true, &(struct roam_error){ "" });
	command_free(d->argv);
	free(d);
}

static const struct dialer_ops cmd_dialer_ops = {
	.open = cmd_open, .tick = cmd_tick, .poll_fds = cmd_dialer_poll_fds,
	.check = cmd_check, .verdict = cmd_verdict, .why = cmd_why,
	.close = cmd_dialer_close,
};

struct dialer *dialer_cmd(char **argv, struct roam_error *e)
{
	struct cmd_dialer *d = calloc(1, sizeof(*d));

	if (!d) {
		command_free(argv);
		return roam_error_set(e, "out of memory"), NULL;
	}
	d->d.ops = &cmd_dialer_ops;
	d->argv = argv;
	return &d->d;
}
