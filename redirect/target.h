/* SPDX-License-Identifier: MIT */
/*
 * target.h — what roam-redirect may print: one plain mail address.
 *
 * procmail splits a backtick's output on whitespace into sendmail arguments,
 * passes a leading '-' to sendmail as an option, and runs the whole command
 * through $SHELL when it sees one of its SHELLMETAS. So a printed target must
 * be one word of a small alphabet, never empty, never an option:
 *
 *   LOCAL[@DOMAIN]   LOCAL:  [A-Za-z0-9._+=] then [A-Za-z0-9._+=-]*
 *                    DOMAIN: [A-Za-z0-9] then [A-Za-z0-9.-]*
 *   at most REDIRECT_TARGET_MAX bytes
 *
 * Anything else (quotes, blanks, control characters, shell metacharacters,
 * a second '@', non-ASCII) is refused, and the caller prints a fallback.
 */
#ifndef ROAM_REDIRECT_TARGET_H
#define ROAM_REDIRECT_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#define REDIRECT_TARGET_MAX 254

/* delivered locally by every MTA: RFC 5321 requires the postmaster mailbox */
#define REDIRECT_LAST_RESORT "postmaster"

bool redirect_target_ok(const char *s);

/* The away target when none is configured: $LOGNAME, else the name of the
 * running uid in /etc/passwd, else REDIRECT_LAST_RESORT; each candidate must pass
 * redirect_target_ok. Writes into buf (at least REDIRECT_TARGET_MAX + 1
 * bytes) and returns it; what tells where the answer came from, for the log. */
const char *redirect_default_away(char *buf, size_t len, const char **what);

#endif
