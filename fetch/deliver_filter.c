/* SPDX-License-Identifier: MIT */
/*
 * deliver_filter.c — the bytes of a message on their way out: CRLF → LF,
 * mboxrd quoting, the mbox From_ line, and one fixed output buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"
#include "fdio.h"

/* ---- output: a fixed buffer in front of the file (the MDA's: its spool) -- */

bool deliver_out_flush(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	bool ok;

	if (m->buffered == 0)
		return true;
	ok = roam_write_all(m->fd, m->buf, m->buffered);
	m->buffered = 0;
	if (!ok) {
		m->failed = true;
		return deliver_fail(t, FETCH_EXIT_IOERR, e, "cannot write to", t->where, errno);
	}
	return true;
}

bool deliver_out_put(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e)
{
	if (len == 0)
		return true;
	m->last = p[len - 1];
	m->size += len;
	while (len > 0) {
		size_t room = OUT_BUF - m->buffered, n = len < room ? len : room;

		memcpy(m->buf + m->buffered, p, n);
		m->buffered += n;
		p += n;
		len -= n;
		if (m->buffered == OUT_BUF && !deliver_out_flush(m, e))
			return false;
	}
	return true;
}

/* ---- mbox: From_ line, header held back until the sender is known ------- */

/* the address of a Return-Path header, or MAILER-DAEMON (also for "<>") */
static void mbox_sender(const char *h, size_t len, char *out, size_t size)
{
	static const char name[] = "return-path:";
	const char *end = h + len;

	snprintf(out, size, "MAILER-DAEMON");
	for (const char *p = h; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		if ((size_t)(nl - p) > strlen(name) && strncasecmp(p, name, strlen(name)) == 0) {
			const char *a = p + strlen(name), *b;

			while (a < nl && (*a == ' ' || *a == '\t' || *a == '<'))
				a++;
			for (b = a; b < nl && *b != '>' && *b != ' ' && *b != '\t'; b++)
				;
			if (b > a && (size_t)(b - a) < size)
				snprintf(out, size, "%.*s", (int)(b - a), a);
			return;
		}
		p = nl + 1;
	}
}

/* a keyed message with a journal gets its marker line (deliver_int.h) right
 * after the From_ line of from_len bytes */
static bool mbox_marker(struct deliver_msg *m, size_t from_len, struct roam_error *e)
{
	char line[MBOX_MARK_LEN + MBOX_NONCE_LEN + DELIVER_KEY_MAX + 3];
	int n;

	if (!m->key || m->t->jdirfd < 0)
		return true;
	m->mark = m->old_size + (off_t)(m->sep + from_len);
	n = snprintf(line, sizeof(line), MBOX_MARK_TMP "%s %s\n", m->t->mb.nonce, m->key);
	return deliver_out_put(m, line, (size_t)n, e);
}

static bool mbox_header_end(struct deliver_msg *m, struct roam_error *e)
{
	char sender[256], date[64], line[400];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	mbox_sender(m->header, m->header_len, sender, sizeof(sender));
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", localtime_r(&now, &tm));
	n = snprintf(line, sizeof(line), "From %s %s\n", sender, date);
	m->header_done = true;
	bool ok = deliver_out_put(m, line, (size_t)n, e) && mbox_marker(m, (size_t)n, e) &&
		  deliver_out_put(m, m->header, m->header_len, e);

	free(m->header);
	m->header = NULL;
	return ok;
}

static bool mbox_put(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e)
{
	size_t from, take;
	char *end;

	if (m->header_done)
		return deliver_out_put(m, p, len, e);
	take = MBOX_HEADER_MAX - m->header_len;
	take = len < take ? len : take;
	memcpy(m->header + m->header_len, p, take);
	from = m->header_len ? m->header_len - 1 : 0;
	m->header_len += take;
	/* the header ends at the first empty line (or at once, without one) */
	end = m->header[0] == '\n' ? m->header
				   : memmem(m->header + from, m->header_len - from, "\n\n", 2);
	if (!end && m->header_len < MBOX_HEADER_MAX)
		return true;
	return mbox_header_end(m, e) && deliver_out_put(m, p + take, len - take, e);
}

/* mboxrd: a line matching ^>*From gets one more '>'. The '>'s pass through
 * as they come; one more is inserted just before "From ", which is the same. */
static bool quote_filter(struct deliver_msg *m, const char *p, size_t len,
			 struct roam_error *e)
{
	static const char from[] = "From ";
	const char *end = p + len;

	while (p < end) {
		const char *nl;

		switch (m->line) {
		case LINE_START:
		case LINE_GT:
			if (*p == '>') {
				m->line = LINE_GT;
				if (!mbox_put(m, p++, 1, e))
					return false;
			} else if (*p == 'F') {
				m->line = LINE_FROM;
				m->from_len = 0;
			} else {
				m->line = LINE_BODY;
			}
			break;
		case LINE_FROM:
			if (*p == from[m->from_len]) {
				p++;
				if (++m->from_len < strlen(from))
					break;
				m->line = LINE_BODY;
				if (!mbox_put(m, ">From ", 6, e))
					return false;
			} else {
				m->line = LINE_BODY;
				if (!mbox_put(m, from, m->from_len, e))
					return false;
			}
			break;
		case LINE_BODY:
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl)
				m->line = LINE_START;
			nl = nl ? nl + 1 : end;
			if (!mbox_put(m, p, (size_t)(nl - p), e))
				return false;
			p = nl;
			break;
		}
	}
	return true;
}

/* LF-normalized text goes here */
static bool lf_put(struct deliver_msg *m, const char *p, size_t len, struct roam_error *e)
{
	return m->t->kind == MBOX ? quote_filter(m, p, len, e) : deliver_out_put(m, p, len, e);
}

/* CRLF → LF; a CR at the end of a chunk waits for the next one */
bool deliver_filter(struct deliver_msg *m, const char *p, size_t len,
			struct roam_error *e)
{
	const char *end = p + len;

	if (m->cr && len > 0) {
		m->cr = false;
		if (*p == '\n') {
			if (!lf_put(m, "\n", 1, e))
				return false;
			p++;
		} else if (!lf_put(m, "\r", 1, e)) {
			return false;
		}
	}
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));

		if (!cr)
			return lf_put(m, p, (size_t)(end - p), e);
		if (!lf_put(m, p, (size_t)(cr - p), e))
			return false;
		if (cr + 1 == end) {
			m->cr = true;
			return true;
		}
		/* a lone CR is content, kept as it is */
		if (!lf_put(m, cr[1] == '\n' ? "\n" : "\r", 1, e))
			return false;
		p = cr + (cr[1] == '\n' ? 2 : 1);
	}
	return true;
}

/* what deliver_commit pushes through before finishing: held-back bytes */
bool deliver_filter_end(struct deliver_msg *m, struct roam_error *e)
{
	if (m->cr) {
		m->cr = false;
		if (!lf_put(m, "\r", 1, e))
			return false;
	}
	if (m->t->kind != MBOX)
		return true;
	if (m->line == LINE_FROM && !mbox_put(m, "From ", m->from_len, e))
		return false;
	if (!m->header_done && !mbox_header_end(m, e))
		return false;
	/* mboxrd: every message ends with a newline and a blank line */
	if (m->size > 0 && m->last != '\n' && !deliver_out_put(m, "\n", 1, e))
		return false;
	return deliver_out_put(m, "\n", 1, e);
}

