/* SPDX-License-Identifier: MIT */
/*
 * deliver.h — where roam-fetch puts each message: a Maildir, an mbox or an MDA.
 *
 * One target per run, one message at a time. A message is streamed through
 * deliver_write in chunks of any size, so memory stays constant whatever the
 * message size. Delivery and durability are separate steps so that fsync can be
 * batched: deliver_commit makes a message visible, deliver_sync makes every
 * committed message survive a crash. Nothing may be deleted from the server (or
 * its UIDL recorded) before deliver_sync has returned true.
 */
#ifndef ROAM_FETCH_DELIVER_H
#define ROAM_FETCH_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct deliver_target;	/* one per run: where messages go */
struct deliver_msg;	/* one message being delivered */

/* spec: "maildir:DIR" | "mbox:PATH" | "mda:COMMAND" (a leading ~/ in DIR or PATH
 * is $HOME). A Maildir is created (tmp, new, cur) when missing; an mbox file when
 * it is first written. NULL + e on a bad spec or an unusable target. */
struct deliver_target *deliver_open(const char *spec, struct roam_error *e);

enum { DELIVER_TIMEOUT_DEFAULT = 60 };

/* An MDA that reads nothing for this many seconds, or has not exited this long
 * after it read all its input, is killed with its process group: a delivery failure
 * (FETCH_EXIT_DELIVERY), the message stays on the server. The `timeout` key;
 * DELIVER_TIMEOUT_DEFAULT until set. */
void deliver_set_timeout(struct deliver_target *t, int seconds);

/* Starts a message; the raw POP3 body follows through deliver_write (CRLF line
 * ends, already dot-unstuffed). Only one message may be open per target. */
struct deliver_msg *deliver_begin(struct deliver_target *t, struct roam_error *e);

enum { DELIVER_KEY_MAX = 80 };	/* a UIDL (70) with a prefix per account */

/* The same, for a message whose key (1–DELIVER_KEY_MAX printable ASCII
 * characters: its UIDL, with a prefix that tells accounts sharing a Maildir
 * apart) deliver_seen will recognize in later runs (NULL + e for any other
 * key). A Maildir keeps the key in the file name; an mbox with a journal
 * (deliver_journal) in a marker line, "X-Roam-Key: NONCE KEY", before the
 * message's header; an MDA ignores it. */
struct deliver_msg *deliver_begin_keyed(struct deliver_target *t, const char *key,
					struct roam_error *e);

/* Whether a message begun with this key is already delivered: in the
 * Maildir (new/ or cur/, read once per target), or in the mbox batch that
 * deliver_journal recovered. It closes the one window deliver_sync leaves: a
 * run that dies after a batch became durable but before its UIDLs were
 * recorded. Ask before fetching a UIDL that is not recorded; when true, record
 * it (and DELE it) without delivering it again. Always false for an MDA. */
bool deliver_seen(struct deliver_target *t, const char *key);

/* mbox: keeps a journal in state_dir (named after account, like the UIDL
 * record) that says where the batch in progress starts, and first repairs
 * what the last run's journal says it left: its durable messages become
 * deliver_seen, its unconfirmed or cut-off ones are truncated away (when no
 * other mail follows them; else they stay, with a warning, and are fetched
 * again). Without a journal an mbox is at-least-once under kill -9. Does
 * nothing for Maildir and MDA. False + e (FETCH_EXIT_IOERR) on an error. */
bool deliver_journal(struct deliver_target *t, const char *state_dir, const char *account,
		     struct roam_error *e);

/* The UIDLs of every message deliver_sync made durable, and of every one
 * deliver_seen reported, are recorded now: the mbox journal can go. */
void deliver_recorded(struct deliver_target *t);

/* False for an MDA: it made each message durable itself before exiting 0, so
 * batching saves nothing, and recording each UIDL at once leaves only the
 * moment between its exit and the record in which a kill -9 can make the
 * next run deliver that one message again. */
bool deliver_batched(const struct deliver_target *t);

/* Converts CRLF to LF across chunk boundaries and, for mbox, adds the From_ line
 * and >From quoting (mboxrd). On false the message must still be aborted. */
bool deliver_write(struct deliver_msg *m, const char *data, size_t len, struct roam_error *e);

/* Finishes a message: Maildir tmp→new, mbox append, MDA exit 0 (the MDA
 * starts only now, with the whole message spooled as its stdin; the exit
 * status alone decides: an MDA that exits 0 without reading everything has
 * accepted the message). After it returns
 * true the message is delivered but may not yet be durable: deliver_sync makes
 * every committed message durable (fsync, dir fsync) — call it before recording
 * UIDLs. (A Maildir message moves from tmp/ into new/ in deliver_sync, after
 * its fsync, so that readers never see a message that a crash could still
 * take away; deliver_close without deliver_sync removes it again. An mbox
 * batch keeps the mailbox locked until deliver_sync, and deliver_close without
 * it truncates the batch away.) On false nothing of the message is left
 * behind. Frees m either way. */
bool deliver_commit(struct deliver_msg *m, struct roam_error *e);

/* Removes a partial message; frees m. NULL is allowed. */
void deliver_abort(struct deliver_msg *m);

/* Makes every message committed since the last sync durable. */
bool deliver_sync(struct deliver_target *t, struct roam_error *e);

/* Frees t (without syncing: call deliver_sync first). NULL is allowed. */
void deliver_close(struct deliver_target *t);

/* Why the last failing call failed: FETCH_EXIT_IOERR (disk, permissions) or
 * FETCH_EXIT_DELIVERY (the MDA refused the message). */
int deliver_exit_code(const struct deliver_target *t);

#endif
