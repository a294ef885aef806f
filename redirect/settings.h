/* SPDX-License-Identifier: MIT */
/*
 * settings.h — roam-redirect's options: the command line over [redirect].
 *
 * Every value is checked against the key table (redirect/keys.c), whether it
 * comes from the file or the command line; the first problem is kept as one
 * line in the error, and the caller answers "away" for it.
 */
#ifndef ROAM_REDIRECT_SETTINGS_H
#define ROAM_REDIRECT_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "error.h"

/* read_timeout's default, also when the file cannot be read */
#define REDIRECT_READ_TIMEOUT_MS 30000

enum settings_cli { SETTINGS_RUN, SETTINGS_HELP, SETTINGS_VERSION, SETTINGS_BAD };

/* the command-line options that are also keys, by key name */
enum { OPT_TARGET, OPT_ALIVE, OPT_AWAY, OPT_STATE_DIR, OPT_MAX_AGE, OPT_DEADLINE, OPT_N };

struct redirect_settings {
	/* from the command line */
	const char *conf_file;		/* -c FILE; NULL: /etc/roam.conf */
	const char *cli[OPT_N];
	int verbosity;
	bool exit_status;		/* --exit-status: for Sieve's execute */
	const char *recipient;		/* --for: the row of the recipients table */

	/* the result: command line, else file, else default */
	const char *target, *alive, *away, *state_dir, *loop_header, *method, *recipients;
	const char *const *skip_from;
	size_t nskip;
	long max_age, deadline, max_size, read_timeout;

	struct roam_conf *conf;		/* owns the strings above */
};

/* Parses argv into s (zeroed first). SETTINGS_BAD leaves a message in e; the
 * options read before the bad one still count (-v, --away). */
enum settings_cli redirect_settings_parse(struct redirect_settings *s, int argc,
					  char **argv, struct roam_error *e);

/* Reads the configuration and merges it under the command line. On false, e
 * says why; s->away is then what the command line gave (or NULL). */
bool redirect_settings_load(struct redirect_settings *s, struct roam_error *e);
void redirect_settings_free(struct redirect_settings *s);

void redirect_usage(void);

#endif
