/* SPDX-License-Identifier: MIT */
/*
 * settings.h — roam-fetch's command line merged over its [fetch] keys.
 */
#ifndef ROAM_FETCH_SETTINGS_H
#define ROAM_FETCH_SETTINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "mailbox.h"
#include "ssh.h"

struct settings {
	const char *config;		/* -c FILE */
	int verbosity;			/* -q -1, -v +1 each */
	bool keep, keep_set;
	bool check;
	const char *deliver_opt;	/* "maildir:DIR" etc. from --maildir/--mbox/--mda */
	char *deliver_buf;
	const char *forward;		/* --forward [ADDR:]PORT | unix:PATH */
	bool watch;			/* --watch */
	bool help, version;

	/* from the file, after the command line */
	struct ssh_opts ssh;
	char **ssh_command;		/* words (command.h), NULL: libssh2 */
	/* the mail server: keys server_host/_port/_user (or their pop3_* aliases);
	 * the fields keep the older names the transport code uses */
	const struct mailbox_ops *protocol;	/* protocol = pop3 | imap (mailbox.h) */
	char *folder;			/* imap: the mailbox to SELECT */
	char *server_host;
	int server_port;
	char *server_user;
	char *password_file;		/* ~ expanded */
	char *password_command;
	char *deliver;			/* spec for deliver_open */
	char *state_dir;		/* ~ expanded */
	char *account;			/* "pop3_user@pop3_host:port via ssh_user@ssh_host:port" */
	int timeout;
	bool pipelining;		/* RFC 2449, when the server offers it */
	unsigned long long max_message_size;
	int forward_idle_timeout;
	int watch_interval;		/* --watch: POP3 poll, IMAP IDLE renewal (s) */
};

/* Parses argv; false + e on a usage error (FETCH_EXIT_SYNTAX). */
bool settings_parse_args(struct settings *s, int argc, char **argv, struct roam_error *e);

/* Loads the configuration and fills the rest; false + e (FETCH_EXIT_SYNTAX). */
bool settings_load(struct settings *s, struct roam_error *e);

void settings_usage(FILE *f);

void settings_free(struct settings *s);

/* "~/x" → "$HOME/x" (or the passwd entry's home), malloc'd; other paths copied. */
char *settings_expand_home(const char *path);

#endif
