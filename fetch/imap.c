/* SPDX-License-Identifier: MIT */
/*
 * imap.c — mailbox_imap (mailbox.h): one IMAP4rev1 session over the local
 * socket of transport.h, spoken here directly, lock-step, one command at a
 * time: LOGIN, CAPABILITY, SELECT (EXAMINE with keep), UID FETCH for the
 * listing and for each body, UID STORE +FLAGS.SILENT (\Deleted), UID EXPUNGE
 * (UIDPLUS) or EXPUNGE, LOGOUT.
 *
 * Why not libcurl's IMAP: it fetches one message per transfer through a URL
 * (;UID=), cannot list UID and size with a header field in one command,
 * knows no UID EXPUNGE, and would hand us the body only through its write
 * callback with its own idea of where the literal ends. The subset needed is
 * small, and with it each reply is parsed strictly here (imap_parse.h), every
 * literal is counted to its last octet before a body is called whole, and
 * the same stream can later carry IDLE, which libcurl lacks.
 *
 * Keys: a message is "UIDVALIDITY.UID" in the record; the listing's epoch is
 * "imap-uidvalidity.UIDVALIDITY", and each message's alt key
 * "mid.DIGEST.SIZE" (FNV-1a 64 of its Message-ID header field as the server
 * gives it, and RFC822.SIZE): after a UIDVALIDITY change, run.c takes a
 * message whose alt key is recorded for delivered. A message without a
 * Message-ID has no alt key and is fetched again after such a change.
 *
 * This file is the session; the connection under it (the socket, reply lines,
 * literals, FETCH responses, tagged commands) is imap_conn.c.
 *
 * Deadlines as in POP3 (mailbox_opts.timeout): a command must end within
 * timeout seconds plus one per KiB it carries (a body: RFC822.SIZE), not
 * counting the sink's time; greeting and login together have twice timeout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "imap_conn.h"
#include "log.h"
#include "mailbox.h"

/* ---- the session -------------------------------------------------------- */

static bool login(struct imap *m, struct roam_error *e)
{
	enum status st;
	char buf[201];

	m->budget = 2 * m->o.timeout;	/* greeting and login */
	imap_begin(m, "greeting", 0);
	if (!imap_connect(m, e) || !imap_read_line(m, e))
		return false;
	if (!strncasecmp(m->line, "* BYE", 5))
		return imap_fail(m, MAILBOX_FAULT_REFUSED, e, "refused (server: %s)", imap_shown(m, buf));
	if (strncasecmp(m->line, "* OK", 4) && strncasecmp(m->line, "* PREAUTH", 9))
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "not an IMAP greeting: `%s'",
			    imap_shown(m, buf));
	if (strncasecmp(m->line, "* PREAUTH", 9)) {
		imap_begin(m, "LOGIN", 0);
		if (!imap_command(m, NULL, "LOGIN", m->o.user, m->o.password, NULL, NULL, NULL, &st, e))
			return false;
		if (st != ST_OK) {
			enum mailbox_fault f = strstr(m->line, "[UNAVAILABLE]") ? MAILBOX_FAULT_REFUSED
					       : strstr(m->line, "[INUSE]")	  ? MAILBOX_FAULT_IN_USE
					       : st == ST_NO ? MAILBOX_FAULT_AUTH
							     : MAILBOX_FAULT_PROTOCOL;

			return imap_fail(m, f, e, "refused (server: %s)", imap_shown(m, buf));
		}
	}
	m->budget = m->o.timeout;
	return imap_command_ok(m, "CAPABILITY", "CAPABILITY", NULL, NULL, NULL, NULL, e);
}

static bool select_folder(struct imap *m, struct roam_error *e)
{
	enum status st;
	char what[64], buf[201];

	snprintf(what, sizeof(what), "%s", m->o.keep ? "EXAMINE" : "SELECT");
	m->uidvalidity = 0;
	if (!imap_command(m, what, what, m->o.folder, NULL, NULL, NULL, NULL, &st, e))
		return false;
	if (st != ST_OK)
		return imap_fail(m, st == ST_NO ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL, e,
			    "folder `%s' refused (server: %s)", m->o.folder, imap_shown(m, buf));
	if (!m->uidvalidity)
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "folder `%s': no UIDVALIDITY",
			    m->o.folder);
	m->selected = true;
	return true;
}

static struct mailbox *imap_open(const struct mailbox_opts *o, struct roam_error *e)
{
	struct imap *m = calloc(1, sizeof(*m));

	if (!m) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	m->base.ops = &mailbox_imap;
	m->o = *o;
	m->fd = -1;
	m->budget = o->timeout;
	return &m->base;
}

struct listing_acc {
	struct mailbox_listing *l;
	size_t cap;
};

static bool add_msg(struct imap *m, const struct fetch_items *it, void *arg,
		    struct roam_error *e)
{
	struct listing_acc *acc = arg;
	struct mailbox_listing *l = acc->l;
	struct mailbox_msg *msg;

	if (!it->has_uid || !it->has_size)	/* unsolicited (a flag changed) */
		return true;
	if (!it->uid || (l->n && it->uid <= l->msgs[l->n - 1].num))
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "UID %lu out of order", it->uid);
	if (l->n == LISTING_MESSAGES_MAX)
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "more than %d messages",
			    LISTING_MESSAGES_MAX);
	if (l->n == acc->cap) {
		size_t cap = acc->cap ? 2 * acc->cap : 64;
		void *grown = realloc(l->msgs, cap * sizeof(*l->msgs));

		if (!grown)
			return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
		l->msgs = grown;
		acc->cap = cap;
	}
	msg = &l->msgs[l->n];
	*msg = (struct mailbox_msg){ .num = it->uid, .size = it->size };
	if (asprintf(&msg->uidl, "%lu.%lu", m->uidvalidity, it->uid) < 0 ||
	    (it->has_header && it->header_has_mid &&
	     asprintf(&msg->alt, "mid.%016" PRIx64 ".%lu", it->header_digest, it->size) < 0)) {
		free(msg->uidl);
		return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
	}
	l->n++;
	return true;
}

static bool imap_list(struct mailbox *mb, struct mailbox_listing *l, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	struct fetch_items proto = { 0 };
	struct listing_acc acc = { .l = l };

	*l = (struct mailbox_listing){ 0 };
	if (!m->selected && !((m->fd >= 0 || login(m, e)) && select_folder(m, e)))
		return false;
	if (asprintf(&l->epoch, "imap-uidvalidity.%lu", m->uidvalidity) < 0)
		return l->epoch = NULL, imap_fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
	/* UIDs rise with sequence numbers (RFC 3501 2.3.1.1): add_msg checks it */
	if (m->exists &&
	    !imap_command_ok(m, "UID FETCH (listing)",
			"UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
			NULL, add_msg, &acc, &proto, e)) {
		listing_free(l);
		return false;
	}
	return true;
}

static bool imap_plan(struct mailbox *mb, const struct mailbox_ref *refs, size_t n,
		      struct roam_error *e)
{
	(void)mb, (void)refs, (void)n, (void)e;	/* lock-step: nothing to ask ahead */
	return true;
}

struct body_wait {
	const struct mailbox_msg *msg;
	bool got;
};

static bool body_seen(struct imap *m, const struct fetch_items *it, void *arg,
		      struct roam_error *e)
{
	struct body_wait *w = arg;

	if (!it->has_body)
		return true;	/* unsolicited (a flag changed) */
	if (!it->has_uid || it->uid != w->msg->num || w->got)
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a body that is not UID %lu's",
			    w->msg->num);
	w->got = true;
	return true;
}

/* The body streams into sink while its literal is read: it is whole when the
 * literal's last octet came and the response's tagged OK followed. */
static bool imap_fetch(struct mailbox *mb, const struct mailbox_msg *msg, mailbox_sink sink,
		       void *arg, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	struct fetch_items proto = { .sink = sink, .sink_arg = arg, .size = msg->size };
	struct body_wait w = { .msg = msg };
	char verb[64], what[64];
	enum status st;
	char buf[201];

	snprintf(verb, sizeof(verb), "UID FETCH %lu (BODY.PEEK[])", msg->num);
	snprintf(what, sizeof(what), "UID FETCH %lu", msg->num);
	if (!imap_command(m, what, verb, NULL, NULL, body_seen, &w, &proto, &st, e))
		return false;
	if (st != ST_OK)
		return imap_fail(m, st == ST_NO ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL, e,
			    "refused (server: %s)", imap_shown(m, buf));
	if (!w.got)
		return imap_fail(m, MAILBOX_FAULT_GONE, e, "no such message any more (expunged by "
			    "another client?)");
	return true;
}

static bool imap_remove(struct mailbox *mb, const struct mailbox_msg *msg, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	char verb[64], what[64];

	if (m->nremoved == m->removed_cap) {
		size_t cap = m->removed_cap ? 2 * m->removed_cap : 64;
		unsigned long *grown = realloc(m->removed, cap * sizeof(*grown));

		if (!grown)
			return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
		m->removed = grown;
		m->removed_cap = cap;
	}
	snprintf(verb, sizeof(verb), "UID STORE %lu +FLAGS.SILENT (\\Deleted)", msg->num);
	snprintf(what, sizeof(what), "UID STORE %lu", msg->num);
	if (!imap_command_ok(m, what, verb, NULL, NULL, NULL, NULL, e))
		return false;
	m->removed[m->nremoved++] = msg->num;
	return true;
}

/* UID EXPUNGE of what this run marked (UIDPLUS), else EXPUNGE: the latter
 * also removes what other clients marked \Deleted in this folder */
static bool imap_prove(struct mailbox *mb, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;

	if (!m->nremoved)
		return true;
	if (!m->uidplus) {
		if (!imap_command_ok(m, "EXPUNGE", "EXPUNGE", NULL, NULL, NULL, NULL, e))
			return false;
		m->nremoved = 0;
		return true;
	}
	for (size_t i = 0; i < m->nremoved; i += EXPUNGE_CHUNK) {
		char verb[EXPUNGE_CHUNK * 12 + 16];
		size_t len = (size_t)snprintf(verb, sizeof(verb), "UID EXPUNGE ");

		for (size_t j = i; j < m->nremoved && j < i + EXPUNGE_CHUNK; j++)
			len += (size_t)snprintf(verb + len, sizeof(verb) - len, "%s%lu",
						j > i ? "," : "", m->removed[j]);
		if (!imap_command_ok(m, "UID EXPUNGE", verb, NULL, NULL, NULL, NULL, e))
			return false;
	}
	m->nremoved = 0;
	return true;
}

static void imap_close(struct mailbox *mb)
{
	struct imap *m = (struct imap *)mb;
	struct roam_error e = { "" };
	enum status st;

	if (!m)
		return;
	if (m->fd >= 0 && !m->broken) {
		m->budget = m->o.timeout;
		if (!imap_command(m, "LOGOUT", "LOGOUT", NULL, NULL, NULL, NULL, NULL, &st, &e))
			roam_warn("%s", e.msg);
	}
	if (m->fd >= 0)
		close(m->fd);
	free(m->removed);
	free(m);
}

static enum mailbox_fault imap_fault(const struct mailbox *mb)
{
	return ((const struct imap *)mb)->code;
}

static unsigned long imap_commands(const struct mailbox *mb)
{
	return ((const struct imap *)mb)->commands;
}

static double seconds_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* without IDLE: the time passes, then the caller lists again (NOOP-free:
 * the next UID FETCH shows what is new) */
static int pause_for(double until, const volatile sig_atomic_t *stop)
{
	while (!*stop && seconds_now() < until) {
		struct timespec t = { 0, 200 * 1000 * 1000 };

		nanosleep(&t, NULL);
	}
	return *stop ? 0 : 1;
}

/* RFC 2177: IDLE until an EXISTS (new mail) or the time is up, then DONE */
static int imap_wait(struct mailbox *mb, int seconds, const volatile sig_atomic_t *stop,
		     struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	double until = seconds_now() + seconds;
	char line[32];
	enum status st;
	int news = 0;

	if (!m->idle)
		return pause_for(until, stop);
	imap_begin(m, "IDLE", 0);
	snprintf(line, sizeof(line), "a%lu IDLE", ++m->tag);
	if (!imap_send_line(m, line, e) || !imap_read_line(m, e))
		return -1;
	if (m->line[0] != '+')
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "no continuation (server: %s)",
				 imap_shown(m, (char[201]){ 0 })), -1;
	while (!news && !*stop && seconds_now() < until) {
		if (!imap_readable(m, 1000))
			continue;
		imap_begin(m, "IDLE", 0);	/* a line once begun must end in time */
		if (!imap_read_line(m, e))
			return -1;
		if (strncmp(m->line, "* ", 2))
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "unexpected reply `%s'",
					 imap_shown(m, (char[201]){ 0 })), -1;
		if (!imap_untagged_line(m, e))
			return -1;
		news = strstr(m->line, " EXISTS") != NULL;
	}
	imap_begin(m, "IDLE", 0);
	if (!imap_send_line(m, "DONE", e) || !imap_response(m, &st, e))
		return -1;
	if (st != ST_OK)
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "refused (server: %s)",
				 imap_shown(m, (char[201]){ 0 })), -1;
	return news;
}

const struct mailbox_ops mailbox_imap = {
	.name = "imap", .label = "IMAP", .default_port = 143,
	.open = imap_open, .list = imap_list, .plan = imap_plan, .fetch = imap_fetch,
	.remove = imap_remove, .prove = imap_prove, .close = imap_close, .fault = imap_fault,
	.commands = imap_commands, .wait = imap_wait,
};
