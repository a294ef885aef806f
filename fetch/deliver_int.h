/* SPDX-License-Identifier: MIT */
/*
 * deliver_int.h — shared by the parts of fetch/deliver*.c, not by their users.
 */
#ifndef ROAM_FETCH_DELIVER_INT_H
#define ROAM_FETCH_DELIVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "deliver.h"

enum {
	OUT_BUF = 64 * 1024,
	PENDING_FDS_MAX = 64,		/* committed files kept open for deliver_sync */
	MBOX_HEADER_MAX = 64 * 1024,	/* header held back while looking for Return-Path */
	LOCK_TRIES = 100,		/* mbox locks: 100 × 100 ms */
	DOTLOCK_STALE = 300,		/* seconds: an older PATH.lock is left over */
	TMP_STALE = 36 * 3600,		/* the Maildir spec's tmp/ cleanup age */
};

enum kind { MAILDIR, MBOX, MDA };
enum line_state { LINE_START, LINE_GT, LINE_FROM, LINE_BODY };

/* a Maildir message committed into tmp/ and not yet synced into new/ */
struct pending {
	char *name;
	char *key;	/* the escaped key for new/NAME,U=KEY, or NULL */
	int fd;		/* -1 once more than PENDING_FDS_MAX are waiting */
	size_t size;
};

struct deliver_target {
	enum kind kind;
	char *where;		/* Maildir, mbox path or MDA command */
	int exit_code;
	int timeout;		/* seconds an MDA may make no progress */
	bool busy;		/* a message is open */
	/* Maildir */
	int tmpfd, newfd;
	char host[128];
	unsigned long counter;
	struct pending *pending;
	size_t npending, cap;
	char **seen;		/* sorted keys found in new/ and cur/, loaded once */
	size_t nseen;
	bool seen_loaded;
	/* mbox: the file last appended to, fsynced by deliver_sync */
	int mbox_sync_fd;
};

struct deliver_msg {
	struct deliver_target *t;
	int fd;			/* tmp file, mbox or socket to the MDA */
	bool failed;
	/* filters */
	bool cr;		/* the last chunk ended in CR */
	enum line_state line;
	size_t from_len;	/* characters of "From " matched at a line start */
	char last;		/* last byte written, so an mbox message ends with a blank line */
	/* Maildir */
	char *name;
	char *key;		/* escaped, from deliver_begin_keyed */
	size_t size;
	/* mbox */
	bool header_done;
	char *header;
	size_t header_len;
	off_t old_size;
	bool dotlocked;
	/* MDA */
	pid_t pid;
	bool mda_gone;		/* the MDA closed its stdin; the rest is discarded */
	size_t buffered;
	char buf[OUT_BUF];
};

/* sets the target's exit code and e to "WHAT 'NAME': strerror(err)"; false */
bool deliver_fail(struct deliver_target *t, int code, struct roam_error *e, const char *what,
		  const char *name, int err);

/* deliver_filter.c: the bytes of a message, in order */
bool deliver_filter(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e);
bool deliver_filter_end(struct deliver_msg *m, struct roam_error *e);
bool deliver_out_put(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e);
bool deliver_out_flush(struct deliver_msg *m, struct roam_error *e);

/* deliver_maildir.c */
bool maildir_open(struct deliver_target *t, struct roam_error *e);
bool maildir_begin(struct deliver_msg *m, struct roam_error *e);
bool maildir_commit(struct deliver_msg *m, struct roam_error *e);
bool maildir_sync(struct deliver_target *t, struct roam_error *e);
void maildir_drop_pending(struct deliver_target *t, size_t renamed);
char *maildir_escape_key(const char *key);
bool maildir_seen(struct deliver_target *t, const char *escaped);
void maildir_forget_seen(struct deliver_target *t);

/* deliver_mbox.c */
bool mbox_begin(struct deliver_msg *m, struct roam_error *e);
void mbox_release(struct deliver_msg *m, bool keep);

/* deliver_mda.c */
bool mda_begin(struct deliver_msg *m, struct roam_error *e);
bool mda_send(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e);
bool mda_commit(struct deliver_msg *m, struct roam_error *e);
void mda_abort(struct deliver_msg *m);

#endif
