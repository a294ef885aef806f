/* SPDX-License-Identifier: MIT */
/*
 * lock.h — one roam-fetch instance per account (cron and a login script may
 * start two at once).
 */
#ifndef ROAM_FETCH_LOCK_H
#define ROAM_FETCH_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Takes an exclusive flock on a lock file of account inside state_dir (created
 * 0700 when missing). Returns an fd holding the lock (close it, or exit, to
 * release; it is close-on-exec); -1 with *busy = true when another instance
 * holds it, -1 with *busy = false and e on any other error. */
int fetch_lock(const char *state_dir, const char *account, bool *busy, struct roam_error *e);

/* Shared with uidl.c: opens state_dir (creating it and missing parents 0700;
 * refused, with its path named, when it or a directory above it is controlled
 * by someone else than us or root: lib/trust.h) and
 * writes into name the file name of account's state with the given suffix:
 * the account with every character outside [A-Za-z0-9@._-] replaced, cut to 64
 * characters, then a 64-bit hash of the whole account, so two accounts never
 * share a file. Returns the directory fd (O_CLOEXEC) or -1 + e. */
int fetch_state_dir(const char *state_dir, const char *account, const char *suffix,
		    char *name, size_t size, struct roam_error *e);

#endif
