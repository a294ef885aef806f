/* SPDX-License-Identifier: MIT */
/*
 * deliver_recover.c — what a run killed in the middle of an mbox batch left.
 *
 * The batch starts at the journal's offset and holds only our messages (it
 * kept both locks), each with a marker line carrying the batch's nonce:
 *   "X-Roam-Key" — durable; its key goes to the seen list, so that run.c
 *                  records its UIDL instead of delivering it again;
 *   "X-Roam-Tmp" — not known to be durable, maybe cut in the middle: when
 *                  nothing but such messages follows, the mbox is truncated
 *                  back to the first of them, and they are fetched again.
 * mboxrd quotes every body line that starts with "From ", so any such line
 * is the start of a message; one without our marker is someone else's, and
 * what lies before it is never cut. When the file is another one now, or
 * shorter than the offset (a mail reader rewrote it), the whole mbox is
 * searched for our markers, and nothing is cut.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"
#include "log.h"

enum { READ_BUF = 64 * 1024, HEAD_MAX = 160 };

/* ---- lines of a file, each seen only by its first HEAD_MAX - 1 bytes ----- */

struct reader {
	int fd;
	off_t off;		/* file offset of buf[0] */
	size_t len, at;
	int err;
	char buf[READ_BUF];
};

/* the next line's offset and head (NUL-terminated, without its '\n');
 * false at the end of the file or on an error (r->err) */
static bool next_line(struct reader *r, off_t *start, char *head)
{
	size_t n = 0;
	bool any = false;

	for (;;) {
		if (r->at == r->len) {
			ssize_t got;

			r->off += (off_t)r->len;
			r->at = r->len = 0;
			while ((got = read(r->fd, r->buf, sizeof(r->buf))) < 0 && errno == EINTR)
				;
			if (got <= 0) {
				r->err = got < 0 ? errno : 0;
				head[n] = '\0';
				return any && !r->err;
			}
			r->len = (size_t)got;
		}
		if (!any)
			*start = r->off + (off_t)r->at;
		any = true;

		const char *p = r->buf + r->at, *nl = memchr(p, '\n', r->len - r->at);
		size_t take = nl ? (size_t)(nl - p) : r->len - r->at;
		size_t copy = take < HEAD_MAX - 1 - n ? take : HEAD_MAX - 1 - n;

		memcpy(head + n, p, copy);
		n += copy;
		r->at += take + (nl != NULL);
		if (nl) {
			head[n] = '\0';
			return true;
		}
	}
}

/* ---- the messages of a region -------------------------------------------- */

enum owner { FOREIGN, OURS_TMP, OURS_KEY };

struct found {
	off_t start;		/* of its From_ line */
	enum owner owner;
};

struct region {
	struct found *v;
	size_t n, cap;
	bool junk_first;	/* something else before the first message */
};

/* our marker line with this batch's nonce: the owner, and the key into t->seen */
static enum owner marker(struct deliver_target *t, const char *line, bool *oom)
{
	enum owner o = strncmp(line, MBOX_MARK_KEY, MBOX_MARK_LEN) == 0   ? OURS_KEY
		       : strncmp(line, MBOX_MARK_TMP, MBOX_MARK_LEN) == 0 ? OURS_TMP
									  : FOREIGN;
	const char *nonce = line + MBOX_MARK_LEN, *key = nonce + MBOX_NONCE_LEN + 1;

	if (o == FOREIGN || strncmp(nonce, t->mb.nonce, MBOX_NONCE_LEN) != 0 ||
	    nonce[MBOX_NONCE_LEN] != ' ' || strlen(key) < 1 || strlen(key) > DELIVER_KEY_MAX ||
	    strpbrk(key, " \t"))
		return FOREIGN;
	if (o == OURS_KEY && !seen_add(t, key, strlen(key)))
		*oom = true;
	return o;
}

static bool add(struct region *g, off_t start)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 64;
		struct found *grown = realloc(g->v, cap * sizeof(*grown));

		if (!grown)
			return false;
		g->v = grown;
		g->cap = cap;
	}
	g->v[g->n++] = (struct found){ .start = start, .owner = FOREIGN };
	return true;
}

static bool scan(struct deliver_target *t, off_t from, struct region *g, struct roam_error *e)
{
	struct reader *r = malloc(sizeof(*r));
	char head[HEAD_MAX];
	off_t start = 0;
	bool after_from = false, oom = false;

	if (!r || lseek(t->mb.fd, from, SEEK_SET) < 0) {
		free(r);
		return r ? deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot read", t->where, errno)
			 : roam_error_set(e, "out of memory");
	}
	*r = (struct reader){ .fd = t->mb.fd, .off = from };
	while (!oom && next_line(r, &start, head)) {
		if (after_from)
			g->v[g->n - 1].owner = marker(t, head, &oom);
		after_from = strncmp(head, "From ", 5) == 0;
		if (after_from)
			oom = !add(g, start);
		else if (g->n == 0 && head[0] != '\0')
			g->junk_first = true;
	}
	int err = r->err;

	free(r);
	if (oom)
		return roam_error_set(e, "out of memory");
	return err ? deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot read", t->where, err) : true;
}

/* the batch's messages from the first unconfirmed one on, when nothing else
 * follows them: cut off, durably (else the next run would find them again) */
static bool cut_tail(struct deliver_target *t, const struct region *g, off_t from,
		     size_t *left, struct roam_error *e)
{
	size_t first = g->n;

	for (size_t i = g->n; i > 0 && g->v[i - 1].owner == OURS_TMP; i--)
		first = i - 1;
	for (size_t i = 0; i < first; i++)
		*left += g->v[i].owner == OURS_TMP;
	if (first == g->n)
		return true;
	/* the first message of the batch takes the separator it added with it */
	off_t to = first == 0 ? from : g->v[first].start, end = lseek(t->mb.fd, 0, SEEK_END);

	if (ftruncate(t->mb.fd, to) < 0 || fsync(t->mb.fd) < 0)
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot truncate", t->where, errno);
	roam_notice("%s: removed %zu message%s that an interrupted run left incomplete or "
		    "unconfirmed (%jd bytes from offset %jd); they are fetched again", t->where,
		    g->n - first, g->n - first == 1 ? "" : "s", (intmax_t)(end - to), (intmax_t)to);
	return true;
}

static size_t count(const struct region *g, enum owner o)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->v[i].owner == o;
	return n;
}

bool mbox_recover(struct deliver_target *t, const struct stat *journal_st,
		  const struct stat *now, size_t *found, struct roam_error *e)
{
	struct region g = { .v = NULL };
	off_t start = journal_st->st_size;
	size_t left = 0;
	bool ok, in_place;

	in_place = now->st_dev == journal_st->st_dev && now->st_ino == journal_st->st_ino &&
		   now->st_size >= start;
	ok = in_place && scan(t, start, &g, e);
	/* the batch must open the region; else the file was rewritten */
	if (ok && (g.junk_first || (g.n && g.v[0].owner == FOREIGN))) {
		seen_forget(t);
		ok = in_place = false;
	}
	if (!ok && !in_place) {
		g.n = 0;
		ok = scan(t, 0, &g, e);
	}
	if (ok && in_place)
		ok = cut_tail(t, &g, start, &left, e);
	else if (ok)
		left = count(&g, OURS_TMP);
	if (ok && left)
		roam_warn("%s: %zu message%s that an interrupted run left unconfirmed stay%s in "
			  "the mbox (other mail follows); they are fetched again", t->where, left,
			  left == 1 ? "" : "s", left == 1 ? "s" : "");
	*found = ok ? count(&g, OURS_KEY) : 0;
	free(g.v);
	return ok;
}
