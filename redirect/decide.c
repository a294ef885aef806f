/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "probe.h"

enum redirect_state redirect_state_classify(const char *dir, struct in_addr a, long max_age,
					    time_t now, struct roam_probestate *st,
					    struct roam_error *e)
{
	if (!roam_probestate_read(dir, a, st, e))
		return errno == ENOENT ? STATE_MISSING : STATE_BAD;
	return redirect_state_age(st, max_age, now);
}

enum redirect_state redirect_state_age(const struct roam_probestate *st, long max_age, time_t now)
{
	/* a CHECKED in the future means the clock was set back: not evidence */
	if (st->checked > (int64_t)now || (int64_t)now - st->checked >= max_age)
		return STATE_STALE;
	return STATE_FRESH;
}

static void own_probe(const struct decide_in *in, const char *before, struct decision *d)
{
	struct roam_probe_target t = { .addr = in->target };
	struct roam_probe_opts o;
	struct roam_error e;

	roam_probe_opts_init(&o);
	o.icmp = NULL;	/* never liboping here: start-up cost and privileges */
	o.deadline_ms = (unsigned)in->deadline_ms;
	if (!roam_probe_parse_method(in->method, &o, &e)) {
		d->trouble = true;
		snprintf(d->why, sizeof(d->why), "%s; bad method: %.250s", before, e.msg);
		return;
	}
	if (roam_probe_run(&t, 1, &o, &e) == ROAM_PROBE_NONE) {
		d->trouble = true;
		snprintf(d->why, sizeof(d->why), "%s; own probe failed: %.250s", before, e.msg);
		return;
	}
	d->alive = t.alive;
	snprintf(d->why, sizeof(d->why), "%s; own probe (%s): %s", before,
		 roam_probe_method_name(t.method),
		 t.alive ? "alive" : "no answer within the deadline");
}

void redirect_decide(const struct decide_in *in, struct decision *d)
{
	struct roam_probestate st;
	struct roam_error e;
	time_t now = time(NULL);
	char before[300];

	memset(d, 0, sizeof(*d));
	switch (redirect_state_classify(in->state_dir, in->target, in->max_age, now, &st, &e)) {
	case STATE_FRESH:
		d->alive = st.alive;
		snprintf(d->why, sizeof(d->why), "state file: %s, checked %lld s ago",
			 st.alive ? "alive" : "dead", (long long)(now - st.checked));
		return;
	case STATE_BAD:
		d->trouble = true;
		snprintf(d->why, sizeof(d->why), "%s", e.msg);
		return;
	case STATE_MISSING:
		snprintf(before, sizeof(before), "%.290s", e.msg);
		break;
	case STATE_STALE:
		snprintf(before, sizeof(before), "state file is stale (checked %lld s ago)",
			 (long long)(now - st.checked));
		break;
	}
	own_probe(in, before, d);
}
