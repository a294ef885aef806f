/* SPDX-License-Identifier: MIT */
/*
 * dups.h — messages of one listing that share a UIDL.
 *
 * A UIDL is meant to name one message, and the record (uidl.h) says "delivered"
 * by UIDL. When a server gives two messages one UIDL (one that hashes content,
 * a corrupt index), the record cannot tell which of them was delivered, so
 * such a message is never deleted, nor skipped, on its UIDL alone: run.c
 * retrieves it, and records it under a key of its own,
 * "UIDL DIGEST.OCTETS RANK": the FNV-1a 64 digest and length of its body as
 * delivered, and RANK, how many messages before it in this listing had the
 * same UIDL and the same body (so that two identical copies are two keys).
 * A later run that finds that key recorded has the proof that this very
 * message was delivered: it deletes the copy it retrieved instead of
 * delivering it again.
 */
#ifndef ROAM_FETCH_DUPS_H
#define ROAM_FETCH_DUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "listing.h"

struct dups;

/* The messages of l whose UIDL another message of l has too. *out is NULL
 * when there are none; false when memory runs out. Warns once per shared UIDL
 * (the first few). */
bool dups_find(const struct mailbox_listing *l, struct dups **out);

/* false for any idx when d is NULL */
bool dups_has(const struct dups *d, size_t idx);

/* How many messages of the listing share a UIDL with another. */
size_t dups_count(const struct dups *d);

/* FNV-1a 64 of a body, chunk by chunk; start with DUPS_DIGEST_INIT */
#define DUPS_DIGEST_INIT 0xcbf29ce484222325ull
uint64_t dups_digest(uint64_t h, const char *data, size_t len);

/* The record key of message idx (dups_has) whose body, once retrieved, had
 * this digest and length: it takes the next rank among its identical copies.
 * Owned by d, valid until dups_free; NULL when memory runs out. Call once per
 * message, in listing order. */
const char *dups_key(struct dups *d, size_t idx, uint64_t digest, unsigned long long octets);

/* the key dups_key gave idx, or NULL */
const char *dups_key_of(const struct dups *d, size_t idx);

void dups_free(struct dups *d);

#endif
