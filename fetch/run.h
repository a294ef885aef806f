/* SPDX-License-Identifier: MIT */
/*
 * run.h — one fetch: list the maildrop, deliver what is new, delete what is
 * delivered.
 *
 * The order that makes "no loss, no duplicates" hold, per batch of messages
 * (at most RUN_BATCH messages or one second), for any protocol (mailbox.h;
 * the POP3 words in brackets):
 *   fetch [RETR] → deliver_begin/write/commit, for each message of the batch;
 *   deliver_sync (the batch is durable) → uidl_add each → uidl_save;
 *   remove [DELE] each (unless keep); prove and close [QUIT] at the very end
 *   make the removals final.
 * A message is never DELEted before it is durable and recorded; a message
 * recorded but still on the server (a run that died before QUIT) is DELEted
 * without being delivered again, or skipped in keep mode. Maildir messages
 * carry their UIDL in the file name, mbox messages in a marker line
 * (deliver_begin_keyed), so one that a run made durable but died before
 * recording is found there (deliver_seen), recorded and treated the same
 * way. An MDA is not batched (deliver_batched). On any error the
 * messages committed so far are still synced and recorded.
 */
#ifndef ROAM_FETCH_RUN_H
#define ROAM_FETCH_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "deliver.h"
#include "error.h"
#include "mailbox.h"
#include "uidl.h"

enum { RUN_BATCH = 50 };

struct run_ctx {
	struct mailbox *mailbox;	/* the session (mailbox.h) */
	struct deliver_target *target;	/* NULL with check */
	struct uidl_db *uidls;
	const char *account;		/* scopes the message keys: see run.c */
	unsigned long long max_message_size;	/* larger ones stay on the server */
	bool keep;
	bool check;			/* count only: no RETR, no DELE, no record */
	const volatile sig_atomic_t *stop;	/* set by a signal: stop after this message */
};

struct run_stats {
	size_t listed;			/* messages on the server */
	size_t fresh;			/* of these, not delivered before */
	unsigned long long fresh_bytes;
	size_t delivered;		/* delivered by this run */
	unsigned long long delivered_bytes;
	size_t deleted;			/* DELE sent (committed at QUIT) */
	size_t too_big;			/* over max_message_size: left on the server */
	size_t recorded_before;		/* delivered before: in the UIDL record, or */
	size_t found_delivered;		/* …of those, found only in the target */
};

/* Returns the exit status: FETCH_EXIT_MAIL when messages were delivered (with
 * check: when there are new ones), FETCH_EXIT_NOMAIL, or the error's code
 * with e set. */
int fetch_run(const struct run_ctx *c, struct run_stats *st, struct roam_error *e);

#endif
