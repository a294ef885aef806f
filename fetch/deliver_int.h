/* SPDX-License-Identifier: MIT */
/*
 * deliver_int.h — shared by the parts of fetch/deliver*.c, not by their users.
 */
#ifndef ROAM_FETCH_DELIVER_INT_H
#define ROAM_FETCH_DELIVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "deliver.h"

enum {
	OUT_BUF = 64 * 1024,
	PENDING_FDS_MAX = 64,		/* committed files kept open for deliver_sync */
	MBOX_HEADER_MAX = 64 * 1024,	/* header held back while looking for Return-Path */
	LOCK_TRIES = 100,		/* mbox locks: 100 × 100 ms */
	DOTLOCK_STALE = 300,		/* seconds: an older PATH.lock is left over */
	TMP_STALE = 36 * 3600,		/* the Maildir spec's tmp/ cleanup age */
	MBOX_NONCE_LEN = 16,		/* hex digits of a batch's nonce */
};

/* The first header line of every keyed mbox message, right after its From_
 * line: "X-Roam-Tmp: NONCE KEY" while the batch is not durable, patched in
 * place to "X-Roam-Key: NONCE KEY" once it is (deliver_sync). NONCE is the
 * batch's, from the journal: no message from elsewhere can pass for ours. */
#define MBOX_MARK_TMP "X-Roam-Tmp: "
#define MBOX_MARK_KEY "X-Roam-Key: "
#define MBOX_MARK_LEN 12	/* both */
#define MBOX_MARK_FLIP 7	/* "Tmp" starts here, "Key" replaces it */

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
	char **seen;		/* sorted keys found (Maildir: new/ and cur/, loaded
				 * once; mbox: by the journal's recovery) */
	size_t nseen, seen_cap;
	bool seen_loaded;
	/* mbox: a batch holds both locks from its first append to deliver_sync,
	 * so that its messages are contiguous and a crash leaves them at a known
	 * place (the journal's offset) */
	struct {
		int fd;			/* the locked mbox, -1 between batches */
		bool dotlocked;
		bool dotlock_skip_said;	/* "no dot lock here" logged, once per target */
		off_t start;		/* its size before the batch */
		char nonce[MBOX_NONCE_LEN + 1];
		off_t *marks;		/* each committed message's marker line */
		size_t nmarks, cap;
	} mb;
	/* mbox: the journal (deliver_journal); dirfd -1 when there is none */
	int jdirfd;
	char jname[256];
	char *jshown;		/* state_dir/jname, for messages */
};

struct deliver_msg {
	struct deliver_target *t;
	int fd;			/* tmp file, mbox or the MDA's spool */
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
	off_t old_size;		/* where this message starts */
	size_t sep;		/* newlines put before its From_ line */
	off_t mark;		/* its marker line, or -1 */
	/* MDA */
	pid_t pid;
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
bool seen_contains(struct deliver_target *t, const char *key);
void seen_forget(struct deliver_target *t);

/* deliver_mbox.c */
bool mbox_begin(struct deliver_msg *m, struct roam_error *e);
bool mbox_commit(struct deliver_msg *m, struct roam_error *e);
void mbox_abort(struct deliver_msg *m);
bool mbox_sync(struct deliver_target *t, struct roam_error *e);
void mbox_close(struct deliver_target *t);
bool mbox_lock(struct deliver_target *t, bool create, struct stat *st, struct roam_error *e);
void mbox_unlock(struct deliver_target *t);

/* deliver_journal.c: where a batch starts, so that a crash can be repaired */
bool journal_write(struct deliver_target *t, const struct stat *st, struct roam_error *e);
void journal_drop(struct deliver_target *t);

/* deliver_recover.c: the last batch of a run that died, in the mbox that
 * mbox_lock opened (now: its fstat), from the journal's offset (the size in
 * journal_st) on — or the whole mbox, when a reader rewrote it: its Key
 * markers go to the seen list, a tail of Tmp ones is cut off. *found: how
 * many keys were added. */
bool mbox_recover(struct deliver_target *t, const struct stat *journal_st,
		  const struct stat *now, size_t *found, struct roam_error *e);

/* deliver_seen.c: the sorted list of keys found (Maildir names, mbox markers) */
bool seen_add(struct deliver_target *t, const char *key, size_t len);
void seen_sort(struct deliver_target *t);

/* deliver_mda.c */
bool mda_begin(struct deliver_msg *m, struct roam_error *e);
bool mda_commit(struct deliver_msg *m, struct roam_error *e);
void mda_abort(struct deliver_msg *m);

#endif
