/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exits.h"
#include "log.h"
#include "run.h"

struct run {
	const struct run_ctx *c;
	struct run_stats *st;
	const struct pop3_listing *l;
	size_t batch[RUN_BATCH];	/* listing indexes committed, not yet durable */
	size_t nbatch;
	struct timespec batch_start;
	size_t *dele;			/* recorded before: DELE without delivering */
	size_t ndele;
	bool pop3_broken;		/* the session cannot take commands any more */
};

struct sink {
	struct deliver_msg *m;
	struct roam_error err;
};

static bool sink_write(void *arg, const char *data, size_t len)
{
	struct sink *s = arg;

	return deliver_write(s->m, data, len, &s->err);
}

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* RETR straight into delivery; returns 0 or an exit code with e set */
static int fetch_one(struct run *r, const struct pop3_msg *msg, struct roam_error *e)
{
	struct sink s = { .err = { "" } };

	if (!(s.m = deliver_begin(r->c->target, e)))
		return deliver_exit_code(r->c->target);
	if (!pop3_retr(r->c->pop3, msg->num, sink_write, &s, e)) {
		int code = pop3_exit_code(r->c->pop3);

		deliver_abort(s.m);
		if (code == FETCH_EXIT_DELIVERY) {
			roam_error_set(e, "message %lu (%s): %s", msg->num, msg->uidl, s.err.msg);
			code = deliver_exit_code(r->c->target);
		}
		/* libcurl drops a connection whose transfer was cut short */
		r->pop3_broken = true;
		return code;
	}
	if (!deliver_commit(s.m, &s.err)) {
		roam_error_set(e, "message %lu (%s): %s", msg->num, msg->uidl, s.err.msg);
		return deliver_exit_code(r->c->target);
	}
	r->st->delivered++;
	r->st->delivered_bytes += msg->size;
	roam_debug("delivered message %lu (%s, %lu octets)", msg->num, msg->uidl, msg->size);
	return 0;
}

static int dele(struct run *r, size_t idx, struct roam_error *e)
{
	if (r->c->keep || r->pop3_broken)
		return 0;
	if (!pop3_dele(r->c->pop3, r->l->msgs[idx].num, e)) {
		r->pop3_broken = true;
		return pop3_exit_code(r->c->pop3);
	}
	r->st->deleted++;
	return 0;
}

/* the batch becomes durable, then recorded, then deleted: never another order */
static int flush(struct run *r, struct roam_error *e)
{
	int code = 0;

	if (r->nbatch) {
		if (!deliver_sync(r->c->target, e))
			return deliver_exit_code(r->c->target);
		for (size_t i = 0; i < r->nbatch; i++)
			if (!uidl_add(r->c->uidls, r->l->msgs[r->batch[i]].uidl))
				return roam_error_set(e, "cannot record UIDL %s",
						      r->l->msgs[r->batch[i]].uidl),
				       FETCH_EXIT_IOERR;
		if (!uidl_save(r->c->uidls, e))
			return FETCH_EXIT_IOERR;
	}
	for (size_t i = 0; i < r->nbatch && !code; i++)
		code = dele(r, r->batch[i], e);
	r->nbatch = 0;
	return code;
}

/* messages a run before us delivered and recorded but could not delete */
static int sort_listing(struct run *r, struct roam_error *e)
{
	const struct pop3_listing *l = r->l;

	r->dele = calloc(l->n ? l->n : 1, sizeof(*r->dele));
	if (!r->dele)
		return roam_error_set(e, "out of memory"), FETCH_EXIT_IOERR;
	for (size_t i = 0; i < l->n; i++) {
		if (uidl_contains(r->c->uidls, l->msgs[i].uidl)) {
			r->dele[r->ndele++] = i;
		} else {
			r->st->fresh++;
			r->st->fresh_bytes += l->msgs[i].size;
		}
	}
	r->st->recorded_before = r->ndele;
	return 0;
}

static int deliver_fresh(struct run *r, struct roam_error *e)
{
	int code = 0;

	for (size_t i = 0; i < r->l->n && !code; i++) {
		if (r->c->stop && *r->c->stop) {
			roam_notice("interrupted: stopping after %zu messages", r->st->delivered);
			break;
		}
		if (uidl_contains(r->c->uidls, r->l->msgs[i].uidl))
			continue;
		if (!r->nbatch)
			clock_gettime(CLOCK_MONOTONIC, &r->batch_start);
		if ((code = fetch_one(r, &r->l->msgs[i], e)) != 0)
			break;
		r->batch[r->nbatch++] = i;
		if (r->nbatch == RUN_BATCH || since(&r->batch_start) >= 1.0)
			code = flush(r, e);
	}
	return code;
}

int fetch_run(const struct run_ctx *c, struct run_stats *st, struct roam_error *e)
{
	struct pop3_listing l;
	struct run r = { .c = c, .st = st, .l = &l };
	struct roam_error later = { "" };
	int code, fcode;
	const char **uidls;

	*st = (struct run_stats){ 0 };
	if (!pop3_list(c->pop3, &l, e))
		return pop3_exit_code(c->pop3);
	st->listed = l.n;
	if ((code = sort_listing(&r, e)) != 0)
		goto out;
	if (c->check) {
		code = st->fresh ? FETCH_EXIT_MAIL : FETCH_EXIT_NOMAIL;
		goto out;
	}
	/* forget what the server no longer has, so the record stays small */
	if ((uidls = calloc(l.n ? l.n : 1, sizeof(*uidls)))) {
		for (size_t i = 0; i < l.n; i++)
			uidls[i] = l.msgs[i].uidl;
		uidl_retain(c->uidls, uidls, l.n);
		free(uidls);
	}
	for (size_t i = 0; i < r.ndele && !code; i++)
		code = dele(&r, r.dele[i], e);
	if (!code)
		code = deliver_fresh(&r, e);
	/* whatever happened, what was committed becomes durable and recorded */
	fcode = flush(&r, code ? &later : e);
	if (!code)
		code = fcode;
	else if (fcode)
		roam_err("%s", later.msg);
	/* the record may have shrunk (uidl_retain) even when nothing was fetched */
	if (!code && !uidl_save(c->uidls, e))
		code = FETCH_EXIT_IOERR;
	if (!code)
		code = st->delivered ? FETCH_EXIT_MAIL : FETCH_EXIT_NOMAIL;
out:
	free(r.dele);
	pop3_listing_free(&l);
	return code;
}
