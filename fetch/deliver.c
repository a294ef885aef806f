/* SPDX-License-Identifier: MIT */
/*
 * A message flows: deliver_write → crlf_filter (CRLF → LF across chunks) →
 * quote_filter (mbox only: mboxrd ">From " quoting) → mbox_header (mbox only:
 * holds the header back until the From_ line's sender is known) → out_put
 * (a fixed buffer) → the file or the MDA. Every stage keeps a few bytes of
 * state, never the message.
 *
 * Maildir durability is batched: deliver_commit leaves the finished file in
 * tmp/ (invisible to readers); deliver_sync fsyncs every such file, renames them
 * into new/ and fsyncs new/ once. So a message appears in new/ only once it is
 * durable, and a run that dies before deliver_sync leaves nothing a reader sees
 * (its tmp/ files are swept after 36 hours, as the Maildir spec says).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver_int.h"
#include "exits.h"

bool deliver_fail(struct deliver_target *t, int code, struct roam_error *e, const char *what,
		 const char *name, int err)
{
	t->exit_code = code;
	return roam_error_set(e, "%s '%s': %s", what, name, strerror(err));
}

/* ---- the API ------------------------------------------------------------- */

/* "~/x" → "$HOME/x" */
static char *expand_home(const char *path)
{
	const char *home;
	struct passwd *pw;
	char *out;

	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
		return strdup(path);
	home = getenv("HOME");
	if ((!home || !*home) && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	if (!home || asprintf(&out, "%s%s", home, path + 1) < 0)
		return NULL;
	return out;
}

static bool parse_spec(struct deliver_target *t, const char *spec, struct roam_error *e)
{
	static const struct { const char *prefix; enum kind kind; } kinds[] = {
		{ "maildir:", MAILDIR }, { "mbox:", MBOX }, { "mda:", MDA },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(spec, kinds[i].prefix, n) != 0)
			continue;
		if (spec[n] == '\0')
			return roam_error_set(e, "delivery '%s': nothing after '%s'", spec,
					      kinds[i].prefix);
		t->kind = kinds[i].kind;
		/* the shell expands an MDA command's own ~ */
		t->where = t->kind == MDA ? strdup(spec + n) : expand_home(spec + n);
		return t->where ? true : roam_error_set(e, "cannot expand '%s'", spec);
	}
	return roam_error_set(e, "delivery '%s': expected maildir:DIR, mbox:PATH or mda:COMMAND",
			      spec);
}

struct deliver_target *deliver_open(const char *spec, struct roam_error *e)
{
	struct deliver_target *t = calloc(1, sizeof(*t));

	if (!t) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	t->tmpfd = t->newfd = t->mb.fd = t->jdirfd = -1;
	t->exit_code = FETCH_EXIT_IOERR;
	t->timeout = DELIVER_TIMEOUT_DEFAULT;
	if (parse_spec(t, spec, e) && (t->kind != MAILDIR || maildir_open(t, e)))
		return t;
	deliver_close(t);
	return NULL;
}

void deliver_set_timeout(struct deliver_target *t, int seconds)
{
	t->timeout = seconds > 0 ? seconds : DELIVER_TIMEOUT_DEFAULT;
}

static void msg_free(struct deliver_msg *m);

/* a Maildir name holds the key escaped; an mbox marker line as it is */
static char *message_key(const struct deliver_target *t, const char *key)
{
	char *escaped = maildir_escape_key(key);

	if (!escaped || t->kind == MAILDIR)
		return escaped;
	free(escaped);
	return strdup(key);
}

struct deliver_msg *deliver_begin(struct deliver_target *t, struct roam_error *e)
{
	return deliver_begin_keyed(t, NULL, e);
}

struct deliver_msg *deliver_begin_keyed(struct deliver_target *t, const char *key,
					struct roam_error *e)
{
	struct deliver_msg *m;
	bool ok;

	if (t->busy) {
		roam_error_set(e, "a message is already being delivered");
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	m->t = t;
	m->fd = -1;
	t->exit_code = FETCH_EXIT_IOERR;
	t->busy = true;
	if (key && t->kind != MDA && !(m->key = message_key(t, key))) {
		roam_error_set(e, "'%s' is no message key (1-%d printable characters)", key,
			       DELIVER_KEY_MAX);
		msg_free(m);
		return NULL;
	}
	ok = t->kind == MAILDIR ? maildir_begin(m, e) : t->kind == MBOX ? mbox_begin(m, e)
									   : mda_begin(m, e);
	if (ok)
		return m;
	deliver_abort(m);
	return NULL;
}

bool deliver_seen(struct deliver_target *t, const char *key)
{
	char *escaped;
	bool seen;

	if (t->kind == MBOX)
		return seen_contains(t, key);
	if (t->kind != MAILDIR || !(escaped = maildir_escape_key(key)))
		return false;
	seen = seen_contains(t, escaped);
	free(escaped);
	return seen;
}

bool deliver_write(struct deliver_msg *m, const char *data, size_t len, struct roam_error *e)
{
	if (m->failed)
		return roam_error_set(e, "write after a failed write");
	if (!deliver_filter(m, data, len, e)) {
		m->failed = true;
		return false;
	}
	return true;
}

static void msg_free(struct deliver_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->t->busy = false;
	free(m->header);
	free(m->name);
	free(m->key);
	free(m);
}

bool deliver_commit(struct deliver_msg *m, struct roam_error *e)
{
	struct deliver_target *t = m->t;
	bool ok;

	if (m->failed) {
		/* e already says why, from the failed deliver_write */
		deliver_abort(m);
		return false;
	}
	/* the MDA's exit status, not our buffer, decides whether the message is in */
	ok = deliver_filter_end(m, e) && deliver_out_flush(m, e);
	if (t->kind == MDA)
		ok = ok ? mda_commit(m, e) : (mda_abort(m), false);
	else if (t->kind == MBOX)
		ok = ok ? mbox_commit(m, e) : (mbox_abort(m), false);
	else if (ok)
		ok = maildir_commit(m, e);
	if (!ok) {
		deliver_abort(m);
		return false;
	}
	msg_free(m);
	return true;
}

void deliver_abort(struct deliver_msg *m)
{
	if (!m)
		return;
	if (m->t->kind == MDA)
		mda_abort(m);
	else if (m->t->kind == MBOX)
		mbox_abort(m);
	else if (m->name)
		unlinkat(m->t->tmpfd, m->name, 0);
	msg_free(m);
}

bool deliver_sync(struct deliver_target *t, struct roam_error *e)
{
	if (t->kind == MAILDIR)
		return maildir_sync(t, e);
	if (t->kind == MBOX)
		return mbox_sync(t, e);
	/* an MDA makes its own deliveries durable before it exits 0 */
	return true;
}

void deliver_close(struct deliver_target *t)
{
	if (!t)
		return;
	/* committed but never synced: their UIDLs are not recorded, so they
	 * must not stay, or the next run would deliver them twice */
	if (t->kind == MAILDIR)
		maildir_drop_pending(t, 0);
	if (t->kind == MBOX)
		mbox_close(t);
	seen_forget(t);
	free(t->pending);
	if (t->tmpfd >= 0)
		close(t->tmpfd);
	if (t->newfd >= 0)
		close(t->newfd);
	if (t->jdirfd >= 0)
		close(t->jdirfd);
	free(t->jshown);
	free(t->where);
	free(t);
}

bool deliver_batched(const struct deliver_target *t)
{
	return t->kind != MDA;
}

int deliver_exit_code(const struct deliver_target *t)
{
	return t->exit_code;
}
