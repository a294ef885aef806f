/* SPDX-License-Identifier: MIT */
/* hyst.h — hysteresis: a stored state changes only after `need` consecutive
 * passes disagree with it, so one lost pass never flips a decision. */
#ifndef ROAM_PROBE_HYST_H
#define ROAM_PROBE_HYST_H

#include <stdbool.h>

struct probe_hyst {
	bool known;		/* false until the first pass or state file */
	bool alive;		/* the stored decision */
	unsigned streak;	/* consecutive passes that disagreed with it */
};

/* Feeds one pass's observation; returns true when the stored decision
 * changed (including the first decision of an unknown target). */
bool probe_hyst_step(struct probe_hyst *h, bool observed, unsigned need);

#endif
