/* SPDX-License-Identifier: MIT */
/*
 * log.h — one diagnostic path for every roam tool.
 *
 * Messages go to stderr when stderr is a terminal or the user asked for -v,
 * and to syslog (ident = the tool's name) otherwise, so that a tool run from
 * cron, procmail or systemd logs where its host looks. Errors also go to
 * stderr unless the tool says otherwise (roam-redirect must keep procmail's
 * log clean), so a cron job mails them and a script sees them. -q keeps only
 * errors.
 */
#ifndef ROAM_LOG_H
#define ROAM_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum roam_verbosity {
	ROAM_QUIET = -1,	/* -q: errors only */
	ROAM_NORMAL = 0,	/* errors, warnings, notices */
	ROAM_VERBOSE = 1,	/* -v: and info, on stderr */
	ROAM_DEBUG = 2,		/* -vv: and debug */
};

enum roam_log_flags {
	ROAM_LOG_ERRORS_TO_STDERR = 1 << 0,	/* errors on stderr even when logging to syslog */
};

void roam_log_init(const char *ident, enum roam_verbosity verbosity, unsigned flags);
void roam_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool roam_log_enabled(int priority);

#define roam_err(...)    roam_log(LOG_ERR, __VA_ARGS__)
#define roam_warn(...)   roam_log(LOG_WARNING, __VA_ARGS__)
#define roam_notice(...) roam_log(LOG_NOTICE, __VA_ARGS__)
#define roam_info(...)   roam_log(LOG_INFO, __VA_ARGS__)
#define roam_debug(...)  roam_log(LOG_DEBUG, __VA_ARGS__)

#endif
