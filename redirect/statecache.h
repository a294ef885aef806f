/* SPDX-License-Identifier: MIT */
/*
 * statecache.h — roam-probe's state files for roam-redirectd at one fstatat
 * a lookup.
 *
 * Reading a state file the way roam-redirect does (the trusted walk of the
 * directory's path, then open, read, close) costs some twenty system calls;
 * for a daemon answering tens of thousands of lookups a second that was most
 * of its time (bench/redirectd). The cache holds the state directory open
 * (the trusted walk again once a second, so a replaced or re-moded directory
 * is seen within one), and per table row the file's identity (device, inode,
 * size, mtime, ctime) with its parsed state. A lookup stats the file and
 * re-reads it only when the identity changed, or when its mtime is within
 * two seconds of now (a write in the same timestamp tick would keep the
 * identity: such a file is always read). A file is read through
 * roam_openat_trusted (owner and mode checked on the open descriptor) and
 * its identity taken from that descriptor: a later stat with the same
 * identity is that inode unchanged, as a chmod, chown or write would have
 * moved its ctime.
 */
#ifndef ROAM_REDIRECT_STATECACHE_H
#define ROAM_REDIRECT_STATECACHE_H

#include <stddef.h>
#include <time.h>

#include "decide.h"

struct state_cache;

/* A cache for state files in dir, slots 0..nslots-1 (one per table row);
 * NULL when out of memory. dir is opened on the first lookup. */
struct state_cache *state_cache_new(const char *dir, size_t nslots);
void state_cache_free(struct state_cache *c);

/* As redirect_state_classify(dir, a, ...), for the target a of slot. */
enum redirect_state state_cache_classify(struct state_cache *c, size_t slot, struct in_addr a,
					 long max_age, time_t now, struct roam_probestate *st,
					 struct roam_error *e);

#endif
