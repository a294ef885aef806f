/* SPDX-License-Identifier: MIT */
/*
 * roam-redirect — what procmail calls in ``! `roam-redirect` ``: reads the
 * message, prints the one recipient to forward it to, exits 0. See
 * roam-redirect(1); the pieces: settings (options), input (stdin), header
 * (loop and sender rules), decide (state file, own probe), emit (the line).
 *
 * Order: the header and its rules, then the decision, then the rest of the
 * message is drained, all within read_timeout of the start; when the writer
 * has not closed stdin by then, the decision is printed anyway.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "decide.h"
#include "emit.h"
#include "exits.h"
#include "header.h"
#include "input.h"
#include "log.h"
#include "recipients.h"
#include "settings.h"
#include "target.h"

/* the probe gets its deadline; this much more and SIGALRM answers "away" */
enum { BACKSTOP_MS = 200 };

/* A closed stdin, stdout or stderr would make the next open() land on it (a
 * log line written into a state file...): park /dev/null there instead. */
static void plug_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			(void)open("/dev/null", O_RDWR);
}

/* the configured away target when it is safe, else the default one */
static const char *choose_away(const struct redirect_settings *s, const char *def)
{
	if (!s->away)
		return def;
	if (redirect_target_ok(s->away))
		return s->away;
	roam_warn("away '%.300s' is not one plain address; printing '%s' instead", s->away, def);
	return def;
}

/* Reads the header and applies the loop and sender rules; true when the
 * message may be forwarded. *size: the bytes read so far. */
static bool header_lets_go(const struct redirect_settings *s, int64_t until,
			   unsigned long long *size)
{
	struct header_rules rules;
	struct header_scan scan;
	struct roam_error e;

	*size = 0;
	if (!header_rules_init(&rules, s->loop_header, s->skip_from, s->nskip, &e)) {
		roam_err("%s", e.msg);
		return false;
	}
	if (header_rules_empty(&rules))
		return true;
	header_scan_init(&scan, &rules);
	switch (redirect_read_header(STDIN_FILENO, &scan, size, until, &e)) {
	case INPUT_ERROR:
		roam_err("%s", e.msg);
		return false;
	case INPUT_TIMEOUT:
		roam_notice("not forwarded: the header did not end within read_timeout %ld ms",
			    s->read_timeout);
		return false;
	case INPUT_DONE:
		break;
	}
	if (scan.matched) {
		roam_info("not forwarded: %s", scan.reason);
		return false;
	}
	return true;
}

/* Reads the rest of the message, until EOF or until; false when it must
 * not be forwarded after all (a read error, or max_size). */
static bool body_lets_go(const struct redirect_settings *s, int64_t until,
			 unsigned long long size)
{
	struct roam_error e;
	enum input_end r = redirect_drain(STDIN_FILENO, &size, until, &e);

	if (r == INPUT_ERROR) {
		roam_err("%s", e.msg);
		return false;
	}
	if (r == INPUT_TIMEOUT)
		roam_notice("stopped reading the message after read_timeout %ld ms (%llu bytes read;"
			    " the writer never closed it)", s->read_timeout, size);
	if (s->max_size && (size > (unsigned long long)s->max_size || r == INPUT_TIMEOUT)) {
		roam_info("not forwarded: %llu bytes%s is more than max_size %ld", size,
			  r == INPUT_TIMEOUT ? " and more" : "", s->max_size);
		return false;
	}
	return true;
}

/* The row that decides: the recipients table's for --for, else the single
 * keys' implicit row; NULL (logged) when there is none. */
static const struct redirect_row *find_row(const struct redirect_settings *s,
					   struct redirect_table *t)
{
	struct roam_error e;
	const struct redirect_row *row;

	if (s->recipients ? !redirect_table_load(t, s->recipients, &e)
			  : !redirect_table_single(t, s->target, s->alive, &e)) {
		roam_warn("%s: the recipient is away", e.msg);
		return NULL;
	}
	row = redirect_table_find(t, s->recipient ? s->recipient : "");
	if (!row)
		roam_info("%.300s is not in %s: away", s->recipient ? s->recipient : "(no --for)",
			  s->recipients);
	return row;
}

/* Alive or away for row: the state file, else an own probe (decide.h). */
static bool row_alive(const struct redirect_settings *s, const struct redirect_row *row)
{
	struct decide_in in = {
		.target = row->target, .state_dir = s->state_dir, .max_age = s->max_age,
		.deadline_ms = s->deadline, .method = s->method,
	};
	struct decision d;
	char addr[INET_ADDRSTRLEN];

	redirect_emit_alarm(s->deadline + BACKSTOP_MS);
	redirect_decide(&in, &d);
	redirect_emit_alarm(0);
	inet_ntop(AF_INET, &row->target, addr, sizeof(addr));
	roam_log(d.trouble ? LOG_WARNING : LOG_INFO, "%s %s: %s", addr,
		 d.alive ? "alive" : "away", d.why);
	return d.alive;
}

/* The recipient for a message that may go: alive or away. */
static const char *decide(const struct redirect_settings *s, const char *away,
			  struct redirect_table *t)
{
	const struct redirect_row *row = find_row(s, t);

	return row && row_alive(s, row) ? row->alive : away;
}

/* --exit-status, for Sieve's execute: no message on stdin (it is not read),
 * the alive destination and 0, or nothing and 1 for anything else. */
static int exit_status_run(const struct redirect_settings *s, bool usable)
{
	struct redirect_table t = { 0 };
	const struct redirect_row *row = usable ? find_row(s, &t) : NULL;
	int code = REDIRECT_EXIT_NOT_ALIVE;

	if (row && row_alive(s, row)) {
		redirect_emit(row->alive);
		code = REDIRECT_EXIT_ALIVE;
	}
	redirect_table_free(&t);
	return code;
}

/* --exit-status changes what a signal does: known before any option is parsed */
static bool wants_exit_status(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--exit-status"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	char def_buf[REDIRECT_TARGET_MAX + 1];
	struct redirect_settings s;
	struct redirect_table table = { 0 };
	struct roam_error e;
	const char *def, *def_what, *away, *answer;
	enum settings_cli cli;
	unsigned long long size;
	int64_t started = redirect_now_ms(), until;
	bool usable;

	plug_std_fds();
	def = redirect_default_away(def_buf, sizeof(def_buf), &def_what);
	if (wants_exit_status(argc, argv))
		redirect_emit_init_status(REDIRECT_EXIT_NOT_ALIVE);
	else
		redirect_emit_init(def);	/* from here on a signal prints a safe line */
	cli = redirect_settings_parse(&s, argc, argv, &e);
	if (cli == SETTINGS_HELP || cli == SETTINGS_VERSION) {
		if (cli == SETTINGS_HELP)
			redirect_usage();
		else
			printf("roam-redirect %s\n", ROAM_VERSION);
		return REDIRECT_EXIT;
	}
	roam_log_init("roam-redirect", s.verbosity, 0);
	if (!s.exit_status && def_what[0] != '$')	/* procmail always sets LOGNAME: say so when it is bad */
		roam_log(getenv("LOGNAME") ? LOG_WARNING : LOG_INFO,
			 "$LOGNAME is %s: the default away target is %s, %s", getenv("LOGNAME") ?
			 "not a plain address" : "unset", def, def_what);
	usable = cli == SETTINGS_RUN;
	if (!usable)
		roam_err("%s", e.msg);
	/* even after a bad option: the file may still name the away target */
	if (!redirect_settings_load(&s, &e)) {
		roam_err("%s", e.msg);
		usable = false;
	}
	if (s.exit_status) {
		int code = exit_status_run(&s, usable);

		redirect_settings_free(&s);
		return code;
	}
	away = choose_away(&s, def);
	redirect_emit_fallback(away);

	/* one deadline for the whole run: header, own probe and drain */
	until = started + s.read_timeout;
	answer = away;
	if (header_lets_go(&s, until, &size) && usable)
		answer = decide(&s, away, &table);
	if (!body_lets_go(&s, until, size))
		answer = away;
	redirect_emit(answer);
	redirect_table_free(&table);
	redirect_settings_free(&s);
	return REDIRECT_EXIT;
}
