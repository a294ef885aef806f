/* SPDX-License-Identifier: MIT */
/*
 * roam-fetch — POP3 through one verified ssh connection, delivered durably,
 * with fetchmail's exit codes. See roam-fetch(1).
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "exits.h"
#include "forward.h"
#include "lock.h"
#include "log.h"
#include "mailbox.h"
#include "run.h"
#include "secret.h"
#include "settings.h"
#include "ssh.h"
#include "stream.h"
#include "transport.h"
#include "uidl.h"

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a vanished MDA or client is an error, not a death */
}

/* everything a fetch holds, released in one place */
struct fetch {
	struct settings *s;
	int lock_fd;
	struct uidl_db *uidls;
	struct deliver_target *target;
	char *password;
	struct dialer *dialer;		/* the libssh2 session, or ssh_command */
	struct transport *transport;
	struct mailbox *mailbox;	/* the protocol session (mailbox.h) */
};

/* local things first: a busy lock or a bad target costs no connection */
static int prepare_local(struct fetch *f, struct roam_error *e)
{
	struct settings *s = f->s;
	bool busy = false;
	int code;

	f->lock_fd = fetch_lock(s->state_dir, s->account, &busy, e);
	if (f->lock_fd < 0)
		return busy ? FETCH_EXIT_LOCKBUSY : FETCH_EXIT_IOERR;
	if (!(f->uidls = uidl_open(s->state_dir, s->account, e)))
		return FETCH_EXIT_IOERR;
	if (!s->check && !(f->target = deliver_open(s->deliver, e)))
		return FETCH_EXIT_IOERR;
	if (f->target && !deliver_journal(f->target, s->state_dir, s->account, e))
		return deliver_exit_code(f->target);
	if (f->target)
		deliver_set_timeout(f->target, s->timeout);
	f->password = s->password_file ? secret_from_file(s->password_file, &code, e)
				       : secret_from_command(s->password_command, &code, e);
	return f->password ? 0 : code;
}

/* the stream to the server, its local socket (transport.h), and the
 * protocol's session on it, not yet logged in */
static int connect_mailbox(struct fetch *f, const struct mailbox_ops *ops, struct roam_error *e)
{
	struct settings *s = f->s;
	struct stream *stream;
	bool transient, fatal;
	int code;

	if (!(f->dialer = dialer_open(s, &code, &transient, e)))
		return code;
	if (!(stream = f->dialer->ops->open(f->dialer, &fatal, e)))
		return FETCH_EXIT_SOCKET;
	if (!(f->transport = transport_start(f->dialer, stream, e)))
		return FETCH_EXIT_SOCKET;
	struct mailbox_opts mo = {
		.socket_path = transport_path(f->transport), .user = s->server_user,
		.password = f->password, .timeout = s->timeout, .pipelining = s->pipelining,
		.folder = s->folder, .keep = s->keep || s->check,
	};
	if (!(f->mailbox = ops->open(&mo, e)))
		return FETCH_EXIT_PROTOCOL;
	return 0;
}

static void report(const struct settings *s, const struct run_stats *st, unsigned long cmds,
		   const char *label)
{
	if (s->check) {
		if (s->verbosity >= 0)
			printf("%zu message%s (%zu new, %llu octets) for %s\n", st->listed,
			       st->listed == 1 ? "" : "s", st->fresh, st->fresh_bytes, s->account);
		return;
	}
	roam_info("%s: %zu on the server, %zu delivered (%llu octets), %zu deleted, "
		  "%zu delivered before, %zu over max_message_size, %lu %s commands", s->account,
		  st->listed, st->delivered, st->delivered_bytes, st->deleted, st->recorded_before,
		  st->too_big, cmds, label);
}

/* the session's close (POP3 QUIT commits the DELEs); the transport's fate
 * decides a code that only says "the connection broke" */
static int finish(struct fetch *f, int code, struct roam_error *e)
{
	struct roam_error terr = { "" };
	int tcode;

	if (f->mailbox)
		f->mailbox->ops->close(f->mailbox);
	f->mailbox = NULL;
	if ((tcode = transport_stop(f->transport, &terr)) != 0) {
		if (code != FETCH_EXIT_MAIL && code != FETCH_EXIT_NOMAIL) {
			*e = terr;	/* the root cause of the session's error */
			code = tcode;
		} else {
			roam_warn("%s", terr.msg);
		}
	}
	f->transport = NULL;
	return code;
}

static void release(struct fetch *f)
{
	if (f->mailbox)
		f->mailbox->ops->close(f->mailbox);
	transport_stop(f->transport, NULL);
	if (f->dialer)
		f->dialer->ops->close(f->dialer, "roam-fetch done");
	secret_free(f->password);
	deliver_close(f->target);
	uidl_close(f->uidls);
	if (f->lock_fd >= 0)
		close(f->lock_fd);
}

/* one pass over the open session: list, fetch what is new, delete (run.c) */
static int fetch_once(struct fetch *f, struct run_stats *st, struct roam_error *e)
{
	const struct settings *s = f->s;
	struct run_ctx rc = {
		.mailbox = f->mailbox, .target = f->target, .uidls = f->uidls, .account = s->account,
		.keep = s->keep, .check = s->check, .stop = &stop_flag,
		.max_message_size = s->max_message_size,
	};

	return fetch_run(&rc, st, e);
}

static int fetch_main(struct settings *s, struct roam_error *e)
{
	struct fetch f = { .s = s, .lock_fd = -1 };
	struct run_stats st = { 0 };
	int code;

	const struct mailbox_ops *ops = s->protocol;

	if ((code = prepare_local(&f, e)) == 0 && (code = connect_mailbox(&f, ops, e)) == 0) {
		code = fetch_once(&f, &st, e);
		unsigned long cmds = f.mailbox->ops->commands(f.mailbox);
		code = finish(&f, code, e);
		if (code == FETCH_EXIT_MAIL || code == FETCH_EXIT_NOMAIL)
			report(s, &st, cmds, ops->label);
	}
	release(&f);
	return code;
}

/* --watch: the session, its transport and its dialer closed; the transport's
 * verdict may replace a code that only says "the connection broke" */
static int close_session(struct fetch *f, int code, struct roam_error *e)
{
	code = finish(f, code, e);
	if (f->dialer)
		f->dialer->ops->close(f->dialer, "roam-fetch reconnects");
	f->dialer = NULL;
	return code;
}

/* a retry cannot cure these: the login, the configuration, local files, the lock */
static bool watch_fatal(int code)
{
	return code == FETCH_EXIT_AUTH || code == FETCH_EXIT_SYNTAX || code == FETCH_EXIT_IOERR ||
	       code == FETCH_EXIT_LOCKBUSY;
}

static void watch_pause(int seconds)
{
	for (int i = 0; i < 5 * seconds && !stop_flag; i++)
		nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
}

/* one --watch round: the session opened when there is none, a fetch, then
 * the wait for news (IMAP IDLE on the session; POP3: closed, a pause).
 * 0, or the exit code of a failure with e */
static int watch_round(struct fetch *f, struct roam_error *e)
{
	struct settings *s = f->s;
	struct run_stats st = { 0 };
	int code;

	if (!f->mailbox && (code = connect_mailbox(f, s->protocol, e)) != 0)
		return code;
	code = fetch_once(f, &st, e);
	if (code == FETCH_EXIT_MAIL)
		report(s, &st, f->mailbox->ops->commands(f->mailbox), s->protocol->label);
	if (code != FETCH_EXIT_MAIL && code != FETCH_EXIT_NOMAIL)
		return code;
	if (stop_flag)
		return 0;
	if (!s->protocol->wait) {
		code = close_session(f, FETCH_EXIT_NOMAIL, e);
		watch_pause(s->watch_interval);
		return code == FETCH_EXIT_NOMAIL ? 0 : code;
	}
	if (f->mailbox->ops->wait(f->mailbox, s->watch_interval, &stop_flag, e) < 0)
		return mailbox_exit_code(f->mailbox->ops->fault(f->mailbox));
	return 0;
}

/* --watch: rounds until SIGTERM; a broken session (the laptop roamed, the
 * server restarted) is opened again after 1, 2, 4 … 300 s; only what a retry
 * cannot cure ends it */
static int watch_main(struct settings *s, struct roam_error *e)
{
	struct fetch f = { .s = s, .lock_fd = -1 };
	int code, backoff = 0;

	if ((code = prepare_local(&f, e)) == 0)
		roam_info("%s: watching (%s)", s->account, s->protocol->wait ? "IMAP IDLE" : "polling");
	while (!code && !stop_flag) {
		if ((code = watch_round(&f, e)) == 0) {
			backoff = 0;
			continue;
		}
		code = close_session(&f, code, e);
		if (watch_fatal(code) || stop_flag)
			break;
		backoff = backoff ? (backoff < 150 ? 2 * backoff : 300) : 1;
		roam_warn("%s: trying again in %d s", e->msg, backoff);
		e->msg[0] = '\0';
		code = 0;
		watch_pause(backoff);
	}
	if (stop_flag && !watch_fatal(code)) {
		code = FETCH_EXIT_MAIL;		/* stopped by a signal, as --forward */
		e->msg[0] = '\0';
	}
	close_session(&f, FETCH_EXIT_MAIL, e);
	release(&f);
	return code;
}

/* A core dump would hold the POP3 password (issue 14, item 11): none is
 * written, and the process is not dumpable (no ptrace by other processes of
 * the user, /proc/PID owned by root). An MDA regains both through exec. */
static void no_core_dumps(void)
{
	const struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	struct settings s = { 0 };
	struct roam_error e = { "" };
	int code = FETCH_EXIT_SYNTAX;

	no_core_dumps();
	roam_log_init("roam-fetch", ROAM_NORMAL, ROAM_LOG_ERRORS_TO_STDERR);
	if (!settings_parse_args(&s, argc, argv, &e)) {
		roam_err("%s", e.msg);
		return FETCH_EXIT_SYNTAX;
	}
	if (s.help || s.version) {
		if (s.help)
			settings_usage(stdout);
		else
			printf("roam-fetch %s\n", ROAM_VERSION);
		return 0;
	}
	roam_log_init("roam-fetch", (enum roam_verbosity)(s.verbosity > 2 ? 2 : s.verbosity),
		      ROAM_LOG_ERRORS_TO_STDERR);
	if (!settings_load(&s, &e)) {
		roam_err("%s", e.msg);
		settings_free(&s);
		return FETCH_EXIT_SYNTAX;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !ssh_global_init(&e)) {
		roam_err("cannot initialise libcurl or libssh2");
		settings_free(&s);
		return FETCH_EXIT_SOCKET;
	}
	install_signals();
	e.msg[0] = '\0';
	code = s.forward ? forward_main(&s, &e) : s.watch ? watch_main(&s, &e) : fetch_main(&s, &e);
	if (code != FETCH_EXIT_MAIL && code != FETCH_EXIT_NOMAIL && e.msg[0])
		roam_err("%s", e.msg);
	ssh_global_exit();
	curl_global_cleanup();
	settings_free(&s);
	return code;
}
