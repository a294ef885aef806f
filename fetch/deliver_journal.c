/* SPDX-License-Identifier: MIT */
/*
 * deliver_journal.c — the mbox journal: where the batch in progress starts.
 *
 * Written (atomically and durably) before a batch appends its first byte,
 * removed once its UIDLs are recorded. Three lines:
 *   roam-fetch mbox journal 1
 *   DEV INO OFFSET NONCE
 *   PATH
 * so that a run killed in the middle of a batch leaves the next one able to
 * find exactly that batch (deliver_recover.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"
#include "lock.h"
#include "log.h"
#include "statefile.h"

#define JOURNAL_MAGIC "roam-fetch mbox journal 1\n"

enum { JOURNAL_MAX = 8192 };

bool journal_write(struct deliver_target *t, const struct stat *st, struct roam_error *e)
{
	char *text;
	int n;
	bool ok;

	n = asprintf(&text, JOURNAL_MAGIC "%ju %ju %jd %s\n%s\n", (uintmax_t)st->st_dev,
		     (uintmax_t)st->st_ino, (intmax_t)st->st_size, t->mb.nonce, t->where);
	if (n < 0)
		return roam_error_set(e, "out of memory");
	if (n >= JOURNAL_MAX)
		ok = roam_error_set(e, "mbox path too long for the journal: %s", t->where);
	else
		ok = roam_atomic_write_at(t->jdirfd, t->jname, text, (size_t)n, 0600, e);
	free(text);
	if (!ok)
		t->exit_code = FETCH_EXIT_IOERR;
	return ok;
}

void journal_drop(struct deliver_target *t)
{
	if (t->jdirfd >= 0)
		unlinkat(t->jdirfd, t->jname, 0);
}

struct journal {
	struct stat st;		/* st_dev, st_ino and st_size (the batch's offset) */
	char nonce[MBOX_NONCE_LEN + 1];
	const char *path;	/* into the text */
};

static bool parse(struct deliver_target *t, char *text, size_t len, struct journal *j,
		  struct roam_error *e)
{
	uintmax_t dev, ino;
	intmax_t off;
	char *nl, *path;
	int used = 0;

	if (len < strlen(JOURNAL_MAGIC) || memcmp(text, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC)) != 0 ||
	    text[len - 1] != '\n')
		goto bad;
	text[len - 1] = '\0';
	nl = strchr(text + strlen(JOURNAL_MAGIC), '\n');
	if (!nl)
		goto bad;
	*nl = '\0';
	path = nl + 1;
	if (sscanf(text + strlen(JOURNAL_MAGIC), "%ju %ju %jd %16[0-9a-f]%n", &dev, &ino, &off,
		   j->nonce, &used) != 4 || text[strlen(JOURNAL_MAGIC) + (size_t)used] != '\0' ||
	    strlen(j->nonce) != MBOX_NONCE_LEN || off < 0 || !*path)
		goto bad;
	j->st.st_dev = (dev_t)dev;
	j->st.st_ino = (ino_t)ino;
	j->st.st_size = (off_t)off;
	j->path = path;
	return true;
bad:
	t->exit_code = FETCH_EXIT_IOERR;
	return roam_error_set(e, "%s: not a roam-fetch mbox journal (remove it once the mbox "
			      "is checked)", t->jshown);
}

/* the last run's journal, if it left one: repair what it says */
static bool recover(struct deliver_target *t, struct roam_error *e)
{
	char text[JOURNAL_MAX];
	struct journal j = { .path = NULL };
	struct stat now;
	ssize_t len = roam_read_small_at(t->jdirfd, t->jname, text, sizeof(text));
	size_t found = 0;
	bool ok;

	if (len < 0 && errno == ENOENT)
		return true;
	if (len < 0) {
		t->exit_code = FETCH_EXIT_IOERR;
		return roam_error_set(e, "%s: %s", t->jshown, strerror(errno));
	}
	if (!parse(t, text, (size_t)len, &j, e))
		return false;
	if (strcmp(j.path, t->where) != 0) {
		roam_warn("%s: left by a run that delivered to %s, not %s: ignored", t->jshown,
			  j.path, t->where);
		journal_drop(t);
		return true;
	}
	if (!mbox_lock(t, false, &now, e)) {
		if (errno != ENOENT)
			return false;
		journal_drop(t);	/* no mbox, nothing of ours in it */
		return true;
	}
	memcpy(t->mb.nonce, j.nonce, sizeof(j.nonce));
	ok = mbox_recover(t, &j.st, &now, &found, e);
	mbox_unlock(t);
	/* keys found stay in the journal's care until run.c has recorded them */
	if (ok && !found)
		journal_drop(t);
	return ok;
}

bool deliver_journal(struct deliver_target *t, const char *state_dir, const char *account,
		     struct roam_error *e)
{
	if (t->kind != MBOX)
		return true;
	t->jdirfd = fetch_state_dir(state_dir, account, ".mbox-journal", t->jname,
				    sizeof(t->jname), e);
	if (t->jdirfd < 0 || asprintf(&t->jshown, "%s/%s", state_dir, t->jname) < 0) {
		t->jshown = NULL;
		t->exit_code = FETCH_EXIT_IOERR;
		return t->jdirfd < 0 ? false : roam_error_set(e, "out of memory");
	}
	if (!recover(t, e))
		return false;
	seen_sort(t);
	return true;
}

void deliver_recorded(struct deliver_target *t)
{
	if (t->kind == MBOX && t->mb.fd < 0)
		journal_drop(t);
}
