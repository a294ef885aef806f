/* SPDX-License-Identifier: MIT */
/*
 * decide.h — alive or away: the state file first, an own probe only if needed.
 *
 *   fresh state (CHECKED younger than max_age)  → its answer, no network I/O
 *   stale state, no state file, no state dir    → own probe within the deadline
 *                                                 (lib/probe.h, unprivileged
 *                                                 methods only: no icmp)
 *   unreadable or corrupt state file            → away (something is wrong;
 *                                                 guessing is worse)
 *   probe unanswered, failed or out of time     → away
 *
 * It only reads the state file: roam-probe owns it.
 */
#ifndef ROAM_REDIRECT_DECIDE_H
#define ROAM_REDIRECT_DECIDE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <time.h>

#include "error.h"
#include "probestate.h"

enum redirect_state { STATE_FRESH, STATE_STALE, STATE_MISSING, STATE_BAD };

/* What the state file in dir says about a at time now. With STATE_FRESH,
 * *st is the state; STATE_BAD and STATE_MISSING fill e. */
enum redirect_state redirect_state_classify(const char *dir, struct in_addr a, long max_age,
					    time_t now, struct roam_probestate *st,
					    struct roam_error *e);
/* STATE_FRESH or STATE_STALE: whether st, read at now, is younger than max_age */
enum redirect_state redirect_state_age(const struct roam_probestate *st, long max_age, time_t now);

struct decide_in {
	struct in_addr target;
	const char *state_dir;
	long max_age;			/* seconds */
	long deadline_ms;		/* for the own probe */
	const char *method;		/* roam_probe_parse_method syntax */
};

struct decision {
	bool alive;
	bool trouble;			/* why is a problem worth a warning */
	char why[600];			/* one line for the log */
};

void redirect_decide(const struct decide_in *in, struct decision *d);

#endif
