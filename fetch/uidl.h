/* SPDX-License-Identifier: MIT */
/*
 * uidl.h — the UIDLs already delivered, per account.
 *
 * The record that makes "no duplicates" hold: a UIDL is saved here (atomically
 * and durably, lib/statefile.h) after its message is durable and before the DELE
 * or QUIT that removes it, so a run that dies in between deletes the message
 * next time without delivering it again. A text file, one key per line.
 */
#ifndef ROAM_FETCH_UIDL_H
#define ROAM_FETCH_UIDL_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct uidl_db;

/* Loads the record of account (any string: it becomes a safe file name inside
 * state_dir, which is created 0700 when missing). A missing file is an empty
 * record; a malformed or oversized one is an error. */
struct uidl_db *uidl_open(const char *state_dir, const char *account, struct roam_error *e);

bool uidl_contains(const struct uidl_db *db, const char *uidl);

enum { UIDL_KEY_MAX = 300 };	/* an escaped UIDL (listing.h) and run.c's suffix */

/* Adds in memory (uidl_save writes). False when uidl is not a key (1–UIDL_KEY_MAX
 * characters 0x21-0x7e, single spaces inside allowed: a UIDL escaped as
 * listing.h does, maybe followed by " " and more) or memory runs out. */
bool uidl_add(struct uidl_db *db, const char *uidl);

/* Forgets keys whose UIDL (the part before the first space) the server no
 * longer lists, so the file does not grow forever. */
void uidl_retain(struct uidl_db *db, const char *const *server_uidls, size_t n);

/* Atomic + durable; does nothing when nothing changed since the last save. */
bool uidl_save(struct uidl_db *db, struct roam_error *e);

void uidl_close(struct uidl_db *db);

#endif
