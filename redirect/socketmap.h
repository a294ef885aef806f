/* SPDX-License-Identifier: MIT */
/*
 * socketmap.h — one Postfix socketmap request, "NAME KEY", to its reply.
 *
 *   transport KEY   alive  → "OK smtp:[TARGET]" (straight to the laptop's MTA)
 *                   else   → "NOTFOUND " (Postfix's default: the mailbox)
 *   alias KEY       alive  → "OK ALIVE_DESTINATION" (virtual_alias_maps)
 *                   else   → "NOTFOUND "
 *   another NAME           → "PERM unknown map"
 *
 * KEY is a row of the recipients table (recipients.h); "alive" is a fresh
 * state file that says so (statecache.h, as decide.h's
 * redirect_state_classify): no probe on
 * the request path, a stale or missing state is away. Any internal trouble
 * (a corrupt state file...) answers NOTFOUND, the safe target, and fills why
 * for the log.
 */
#ifndef ROAM_REDIRECT_SOCKETMAP_H
#define ROAM_REDIRECT_SOCKETMAP_H

#include <stddef.h>
#include <time.h>

#include "recipients.h"

struct state_cache;

/* a request's DATA is "NAME KEY": the longest address and a map name fit */
#define SOCKETMAP_REQUEST_MAX 1024
/* a reply's netstring: "OK " and a plain address, with room */
#define SOCKETMAP_REPLY_MAX 512

struct socketmap_ctx {
	const struct redirect_table *table;
	struct state_cache *states;	/* one slot per row of table (statecache.h) */
	long max_age;		/* seconds a state file stays fresh */
};

/* Writes the reply netstring for DATA req (n bytes) into out (at least
 * SOCKETMAP_REPLY_MAX bytes); returns its length. why gets a line for the
 * log when something went wrong (else ""). */
size_t socketmap_answer(const struct socketmap_ctx *c, const char *req, size_t n, time_t now,
			char *out, char *why, size_t whylen);

#endif
