/* SPDX-License-Identifier: MIT */
/*
 * The generic order of run.h over any mailbox protocol (mailbox.h): a body is
 * trusted once the protocol's fetch returns (it saw the body's end; a
 * connection that closes before it is an error there). Until then the
 * message is being written (deliver_begin/write); a fetch that fails aborts
 * it, and the next run fetches it again: never a truncated message, never a
 * loss.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dups.h"
#include "exits.h"
#include "log.h"
#include "run.h"

struct run {
	const struct run_ctx *c;
	struct run_stats *st;
	const struct mailbox_listing *l;
	size_t batch[RUN_BATCH];	/* listing indexes committed, not yet durable */
	size_t nbatch;
	struct timespec batch_start;
	size_t *queue;			/* recorded (before or by this run), DELE not yet sent */
	size_t nqueue;
	bool broken;			/* the session cannot take commands any more */
	struct deliver_msg *pending;	/* retrieved whole, being committed */
	size_t pending_idx;
	uint64_t pending_digest;	/* of its body (dups.h) */
	unsigned long long pending_octets;
	struct deliver_msg *cur;	/* the message being retrieved */
	size_t cur_idx;
	uint64_t cur_digest;
	unsigned long long cur_octets;
	struct dups *dups;		/* messages sharing a UIDL: see dups.h */
	int sink_code;			/* why the sink stopped a transfer */
	char key[DELIVER_KEY_MAX + 1];	/* key_of's answer */
	struct roam_error sink_err;
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* after the mailbox failed: the exit code its fault means */
static int session_code(const struct run *r)
{
	return mailbox_exit_code(r->c->mailbox->ops->fault(r->c->mailbox));
}

static int deliver_failed(struct run *r, size_t idx, const struct roam_error *why,
			  struct roam_error *e)
{
	const struct mailbox_msg *msg = &r->l->msgs[idx];

	roam_error_set(e, "message %lu (%s): %s", msg->num, msg->uidl, why->msg);
	return deliver_exit_code(r->c->target);
}

/* what the record calls message idx: its UIDL, or its dups.h key */
static const char *record_key(const struct run *r, size_t idx)
{
	const char *key = dups_key_of(r->dups, idx);

	return key ? key : r->l->msgs[idx].uidl;
}

/* The batch becomes durable, then recorded; its DELEs are queued (dele_queued
 * sends them): never another order. Local work only, so that it can run
 * between two messages of a RETR stream, where no message is open and an
 * mbox batch can give its lock back. */
static int record_batch(struct run *r, struct roam_error *e)
{
	struct timespec t0;

	if (!r->nbatch)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!deliver_sync(r->c->target, e))
		return deliver_exit_code(r->c->target);
	roam_debug("batch of %zu durable in %.1f ms", r->nbatch, since(&t0) * 1000);
	for (size_t i = 0; i < r->nbatch; i++) {
		const char *alt = r->l->msgs[r->batch[i]].alt;

		if (!uidl_add(r->c->uidls, record_key(r, r->batch[i])) ||
		    (alt && !uidl_add(r->c->uidls, alt)))
			return roam_error_set(e, "cannot record UIDL %s",
					      record_key(r, r->batch[i])),
			       FETCH_EXIT_IOERR;
	}
	if (!uidl_save(r->c->uidls, e))
		return FETCH_EXIT_IOERR;
	deliver_recorded(r->c->target);
	roam_debug("batch recorded at %.1f ms", since(&t0) * 1000);
	memcpy(r->queue + r->nqueue, r->batch, r->nbatch * sizeof(*r->batch));
	r->nqueue += r->nbatch;
	r->nbatch = 0;
	return 0;
}

/* RUN_BATCH messages or a second; an MDA's every message (deliver_batched) */
static bool batch_due(const struct run *r)
{
	return r->nbatch == RUN_BATCH || since(&r->batch_start) >= 1.0 ||
	       !deliver_batched(r->c->target);
}

/* A message sharing its UIDL, proven whole: its own key (dups.h). When the
 * record has that key, this very message was delivered before: it is not
 * delivered again, only deleted (1). 0 to deliver it, or an exit code. */
static int pending_is_recorded(struct run *r, struct roam_error *e)
{
	const struct mailbox_msg *msg = &r->l->msgs[r->pending_idx];
	const char *key;

	if (!dups_has(r->dups, r->pending_idx))
		return 0;
	key = dups_key(r->dups, r->pending_idx, r->pending_digest, r->pending_octets);
	if (!key)
		return roam_error_set(e, "out of memory"), FETCH_EXIT_IOERR;
	if (!uidl_contains(r->c->uidls, key))
		return 0;
	roam_info("message %lu (%s): this copy was delivered before (%s): deleted, not "
		  "delivered again", msg->num, msg->uidl, key);
	deliver_abort(r->pending);
	r->pending = NULL;
	r->queue[r->nqueue++] = r->pending_idx;
	return 1;
}

/* the pending body is whole: deliver it, and it joins the batch */
static int commit_pending(struct run *r, struct roam_error *e)
{
	const struct mailbox_msg *msg = &r->l->msgs[r->pending_idx];
	struct roam_error why = { "" };
	bool ok;
	int code;

	if (!r->pending)
		return 0;
	if ((code = pending_is_recorded(r, e)) != 0)
		return code == 1 ? 0 : code;
	ok = deliver_commit(r->pending, &why);
	r->pending = NULL;
	if (!ok)
		return deliver_failed(r, r->pending_idx, &why, e);
	r->st->delivered++;
	r->st->delivered_bytes += msg->size;
	roam_debug("delivered message %lu (%s, %lu octets)", msg->num, msg->uidl, msg->size);
	if (!r->nbatch)
		clock_gettime(CLOCK_MONOTONIC, &r->batch_start);
	r->batch[r->nbatch++] = r->pending_idx;
	return batch_due(r) ? record_batch(r, e) : 0;
}

/* A message's key in the Maildir: its UIDL, prefixed with a hash of the
 * account. UIDLs are unique only within one maildrop; without the prefix, a
 * second account delivering into the same Maildir whose server happened to
 * use a UIDL of the first would have that new message taken for delivered,
 * and deleted unseen. An escaped UIDL (listing.h) can be too long for a key:
 * then "HASH~DIGEST" of it, never a cut (two UIDLs alike in their first 71
 * characters would be one key), and '~' where the other form has '.', so that
 * the two forms never meet. */
static const char *key_of(struct run *r, const char *uidl)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (const char *a = r->c->account ? r->c->account : ""; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	if (strlen(uidl) + 9 <= DELIVER_KEY_MAX)
		snprintf(r->key, sizeof(r->key), "%08" PRIx32 ".%s", h, uidl);
	else
		snprintf(r->key, sizeof(r->key), "%08" PRIx32 "~%016" PRIx64, h,
			 dups_digest(DUPS_DIGEST_INIT, uidl, strlen(uidl)));
	return r->key;
}

/* keyed, so that a run dying after deliver_sync but before uidl_save does
 * not make the next run deliver it again (sort_listing) */
static struct deliver_msg *begin(struct run *r, size_t idx, struct roam_error *e)
{
	r->cur_digest = DUPS_DIGEST_INIT;
	r->cur_octets = 0;
	/* a UIDL that names several messages names none in the target */
	if (dups_has(r->dups, idx))
		return deliver_begin(r->c->target, e);
	return deliver_begin_keyed(r->c->target, key_of(r, r->l->msgs[idx].uidl), e);
}

/* RETR's body, chunk by chunk */
static bool sink_write(void *arg, const char *data, size_t len)
{
	struct run *r = arg;
	struct roam_error why = { "" };

	if (!r->cur) {
		if (!(r->cur = begin(r, r->cur_idx, &why))) {
			r->sink_code = deliver_failed(r, r->cur_idx, &why, &r->sink_err);
			return false;
		}
	}
	if (r->cur_octets + len > r->c->max_message_size) {
		const struct mailbox_msg *msg = &r->l->msgs[r->cur_idx];

		r->sink_code = FETCH_EXIT_PROTOCOL;
		roam_error_set(&r->sink_err, "message %lu (%s): more than max_message_size (%llu) "
			       "octets arrive, though LIST said %lu: stopped, left on the server",
			       msg->num, msg->uidl, r->c->max_message_size, msg->size);
		return false;
	}
	if (!deliver_write(r->cur, data, len, &why)) {
		r->sink_code = deliver_failed(r, r->cur_idx, &why, &r->sink_err);
		return false;
	}
	/* only a shared UIDL's key needs it (dups.h); a byte at a time, it was
	 * 6 % of a run's CPU when computed for every message */
	if (dups_has(r->dups, r->cur_idx))
		r->cur_digest = dups_digest(r->cur_digest, data, len);
	r->cur_octets += len;
	return true;
}

/* RETR straight into delivery, then committed. 0 or an exit code. */
static int fetch_one(struct run *r, size_t idx, struct roam_error *e)
{
	struct mailbox *mb = r->c->mailbox;
	struct roam_error why = { "" };
	int code;

	r->cur = NULL;
	r->cur_idx = idx;
	r->sink_code = 0;
	if (!mb->ops->fetch(mb, &r->l->msgs[idx], sink_write, r, e)) {
		enum mailbox_fault f = mb->ops->fault(mb);

		code = mailbox_exit_code(f);
		deliver_abort(r->cur);
		r->cur = NULL;
		/* another client removed it after the listing: nothing to deliver,
		 * nothing to delete, the session still in step */
		if (f == MAILBOX_FAULT_GONE) {
			roam_notice("%s: skipped", e->msg);
			e->msg[0] = '\0';
			return 0;
		}
		if (f == MAILBOX_FAULT_DELIVERY) {
			*e = r->sink_err;
			code = r->sink_code;
		}
		/* a RETR cut short leaves the session out of step */
		r->broken = true;
		return code;
	}
	/* an empty body: no chunk began the message */
	if (!r->cur && !(r->cur = begin(r, idx, &why)))
		return deliver_failed(r, idx, &why, e);
	r->pending = r->cur;
	r->pending_idx = idx;
	r->pending_digest = r->cur_digest;
	r->pending_octets = r->cur_octets;
	r->cur = NULL;
	return commit_pending(r, e);
}

static int dele(struct run *r, size_t idx, struct roam_error *e)
{
	if (r->c->keep || r->broken)
		return 0;
	if (!r->c->mailbox->ops->remove(r->c->mailbox, &r->l->msgs[idx], e)) {
		r->broken = true;
		return session_code(r);
	}
	r->st->deleted++;
	return 0;
}

static int dele_queued(struct run *r, struct roam_error *e)
{
	int code = 0;

	for (size_t i = 0; i < r->nqueue && !code; i++)
		code = dele(r, r->queue[i], e);
	r->nqueue = 0;
	return code;
}

/* Delivered by a run before us: recorded, or found under its key (a Maildir
 * name, an mbox marker) because that run died between deliver_sync and uidl_save. Not asked with
 * check (no target), so there such a message still counts as new. After an
 * epoch change (IMAP: a new UIDVALIDITY, every UID means another message
 * now), the uidl keys of the record mean nothing: a message whose alt key
 * (its Message-ID and size) is recorded was delivered (*matched). */
static bool delivered_before(struct run *r, const struct mailbox_msg *m, bool rekeyed,
			     bool *found, bool *matched)
{
	const char *uidl = m->uidl;

	if (uidl_contains(r->c->uidls, uidl))
		return true;
	if (rekeyed && m->alt && uidl_contains(r->c->uidls, m->alt))
		return *matched = true;
	if (!r->c->target || !deliver_seen(r->c->target, key_of(r, uidl)))
		return false;
	*found = true;
	return true;
}

/* messages a run before us delivered but could not delete; the ones only
 * found in the Maildir or mbox are recorded now, before any DELE, so that they stay
 * "delivered" even once the user has deleted them locally */
static int sort_listing(struct run *r, struct roam_error *e)
{
	const struct mailbox_listing *l = r->l;
	bool rekeyed = l->epoch && !uidl_contains(r->c->uidls, l->epoch);
	size_t found = 0, matched = 0;

	r->queue = calloc(l->n ? l->n : 1, sizeof(*r->queue));
	if (!r->queue)
		return roam_error_set(e, "out of memory"), FETCH_EXIT_IOERR;
	for (size_t i = 0; i < l->n; i++) {
		bool in_target = false, by_alt = false;

		/* the record cannot say which of them it means: see dups.h */
		if (dups_has(r->dups, i) ||
		    !delivered_before(r, &l->msgs[i], rekeyed, &in_target, &by_alt)) {
			r->st->fresh++;
			r->st->fresh_bytes += l->msgs[i].size;
			continue;
		}
		r->queue[r->nqueue++] = i;	/* DELE without delivering */
		/* with check (no target) nothing is written */
		if ((in_target || (by_alt && r->c->target)) &&
		    !uidl_add(r->c->uidls, l->msgs[i].uidl))
			return roam_error_set(e, "cannot record UIDL %s", l->msgs[i].uidl),
			       FETCH_EXIT_IOERR;
		found += in_target;
		matched += by_alt;
	}
	r->st->recorded_before = r->nqueue;
	r->st->found_delivered = found;
	if (found)
		roam_info("%zu message%s already delivered (an earlier run was interrupted): "
			  "recorded, not delivered again", found, found == 1 ? "" : "s");
	if (matched)
		roam_notice("the server renumbered its messages (%s): %zu found delivered before "
			    "by Message-ID and size, recorded under their new keys, not delivered "
			    "again", l->epoch, matched);
	/* the epoch joins the record with the keys it gives meaning to */
	if (rekeyed && r->c->target && !uidl_add(r->c->uidls, l->epoch))
		return roam_error_set(e, "cannot record %s", l->epoch), FETCH_EXIT_IOERR;
	if ((found || (rekeyed && r->c->target)) && !uidl_save(r->c->uidls, e))
		return FETCH_EXIT_IOERR;
	if (r->c->target)
		deliver_recorded(r->c->target);
	return 0;
}

/* over max_message_size by LIST: not retrieved, not deleted, said every run */
static bool too_big(struct run *r, size_t idx)
{
	const struct mailbox_msg *msg = &r->l->msgs[idx];

	if (msg->size <= r->c->max_message_size)
		return false;
	roam_warn("message %lu (%s) has %lu octets, more than max_message_size (%llu): "
		  "left on the server", msg->num, msg->uidl, msg->size, r->c->max_message_size);
	r->st->too_big++;
	return true;
}

/* a message deliver_fresh retrieves: not delivered before, not too big */
static bool wanted(const struct run *r, size_t i)
{
	if (!dups_has(r->dups, i) && uidl_contains(r->c->uidls, r->l->msgs[i].uidl))
		return false;
	return r->l->msgs[i].size <= r->c->max_message_size;
}

/* what deliver_fresh will retrieve, in order: with pipelining, it is asked for ahead */
static int plan(struct run *r, struct roam_error *e)
{
	struct mailbox_ref *refs = calloc(r->l->n ? r->l->n : 1, sizeof(*refs));
	size_t n = 0;
	bool ok;

	if (!refs)
		return roam_error_set(e, "out of memory"), FETCH_EXIT_IOERR;
	for (size_t i = 0; i < r->l->n; i++)
		if (wanted(r, i))
			refs[n++] = (struct mailbox_ref){ r->l->msgs[i].num, r->l->msgs[i].size };
	ok = r->c->mailbox->ops->plan(r->c->mailbox, refs, n, e);
	free(refs);
	return ok ? 0 : FETCH_EXIT_IOERR;
}

static int deliver_fresh(struct run *r, struct roam_error *e)
{
	int code = plan(r, e);

	for (size_t i = 0; i < r->l->n && !code; i++) {
		if (r->c->stop && *r->c->stop) {
			roam_notice("interrupted: stopping after %zu messages", r->st->delivered);
			break;
		}
		if (!dups_has(r->dups, i) && uidl_contains(r->c->uidls, r->l->msgs[i].uidl))
			continue;
		if (too_big(r, i))
			continue;
		if ((code = fetch_one(r, i, e)) != 0)
			break;
		code = dele_queued(r, e);
	}
	return code;
}

/* forget what the server no longer has, so the record stays small; only
 * after the session proved the UIDL listing whole */
static void retain(struct run *r)
{
	const char **uidls = calloc(2 * r->l->n + 1, sizeof(*uidls));
	size_t n = 0;

	if (!uidls)
		return;
	for (size_t i = 0; i < r->l->n; i++) {
		uidls[n++] = r->l->msgs[i].uidl;
		if (r->l->msgs[i].alt)
			uidls[n++] = r->l->msgs[i].alt;
	}
	if (r->l->epoch)
		uidls[n++] = r->l->epoch;
	uidl_retain(r->c->uidls, uidls, n);
	free(uidls);
}

static int finish_run(struct run *r, int code, struct roam_error *e)
{
	struct roam_error later = { "" };
	int fcode;

	/* whatever happened, what was committed becomes durable and recorded */
	fcode = record_batch(r, code ? &later : e);
	if (!fcode)
		fcode = dele_queued(r, code ? &later : e);
	/* the replies in flight (pipelined DELEs), the deletions made final
	 * (IMAP EXPUNGE): a refusal fails the run as in lock-step */
	if (!fcode && !r->broken &&
	    !r->c->mailbox->ops->prove(r->c->mailbox, code ? &later : e)) {
		r->broken = true;
		fcode = session_code(r);
	}
	if (!code)
		code = fcode;
	else if (fcode)
		roam_err("%s", later.msg);
	if (!code && !r->broken) {
		retain(r);
		if (!uidl_save(r->c->uidls, e))
			code = FETCH_EXIT_IOERR;
	}
	return code;
}

/* UIDLs outside RFC 1939's range are used escaped (listing.h): say so, once a run */
static void warn_escaped(const struct mailbox_listing *l)
{
	size_t n = 0, first = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->msgs[i].escaped && !n++)
			first = i;
	if (n)
		roam_warn("%zu UIDL%s with bytes outside RFC 1939's range (0x21-0x7e), used "
			  "escaped: message %lu is %s%s", n, n == 1 ? "" : "s", l->msgs[first].num,
			  l->msgs[first].uidl, n > 1 ? ", …" : "");
}

int fetch_run(const struct run_ctx *c, struct run_stats *st, struct roam_error *e)
{
	struct mailbox_listing l;
	struct run r = { .c = c, .st = st, .l = &l };
	int code;

	*st = (struct run_stats){ 0 };
	if (!c->mailbox->ops->list(c->mailbox, &l, e))
		return mailbox_exit_code(c->mailbox->ops->fault(c->mailbox));
	st->listed = l.n;
	if (!dups_find(&l, &r.dups)) {
		listing_free(&l);
		return roam_error_set(e, "out of memory"), FETCH_EXIT_IOERR;
	}
	warn_escaped(&l);
	if ((code = sort_listing(&r, e)) == 0 && c->check) {
		code = st->fresh ? FETCH_EXIT_MAIL : FETCH_EXIT_NOMAIL;
	} else if (!code) {
		if ((code = dele_queued(&r, e)) == 0)
			code = deliver_fresh(&r, e);
		code = finish_run(&r, code, e);
		if (!code)
			code = st->delivered ? FETCH_EXIT_MAIL : FETCH_EXIT_NOMAIL;
	}
	free(r.queue);
	dups_free(r.dups);
	listing_free(&l);
	return code;
}
