/* SPDX-License-Identifier: MIT */
/*
 * recipients.h — who follows which laptop: the recipients table.
 *
 * [redirect] recipients = FILE names a file of lines
 *
 *     RECIPIENT TARGET ALIVE_DESTINATION     # comment
 *     alice@example.org 198.51.100.180 alice@laptop.example.net
 *
 * blank lines and '#' comments (whole lines or after the fields) allowed.
 * RECIPIENT and ALIVE_DESTINATION are plain addresses (target.h: what may be
 * printed or handed to an MTA), TARGET a dotted-quad IPv4 address. RECIPIENT
 * is matched without regard to case and may appear once. Any problem makes
 * the whole table fail with "FILE:LINE: why": a caller that reloads keeps its
 * old table.
 *
 * Without a file, [redirect] target and alive are one implicit row that
 * every recipient matches (a user's own procmail or Sieve filter).
 */
#ifndef ROAM_REDIRECT_RECIPIENTS_H
#define ROAM_REDIRECT_RECIPIENTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* more is a mistake (or an attack on the daemon's memory), not a table */
#define REDIRECT_TABLE_MAX_BYTES (64u << 20)

struct redirect_row {
	const char *recipient;	/* lower case; NULL: the implicit row, any recipient */
	struct in_addr target;
	const char *alive;	/* ALIVE_DESTINATION */
	unsigned line;		/* in the file; 0 for the implicit row */
};

struct redirect_table {
	struct redirect_row *rows;	/* sorted by recipient */
	size_t n;
	char *text;			/* the file's bytes, cut into the strings above */
};

/* Reads path (opened only through a trusted chain, lib/trust.h) into t.
 * On false t is untouched and e reads "FILE:LINE: why" (or "FILE: why"). */
bool redirect_table_load(struct redirect_table *t, const char *path, struct roam_error *e);
/* The implicit row of the single keys; false with e when one is unusable. */
bool redirect_table_single(struct redirect_table *t, const char *target, const char *alive,
			   struct roam_error *e);
/* The row for recipient (any case), or NULL. */
const struct redirect_row *redirect_table_find(const struct redirect_table *t,
					       const char *recipient);
void redirect_table_free(struct redirect_table *t);

#endif
