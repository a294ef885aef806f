/* SPDX-License-Identifier: MIT */
#include "hyst.h"

bool probe_hyst_step(struct probe_hyst *h, bool observed, unsigned need)
{
	if (!h->known) {
		*h = (struct probe_hyst){ .known = true, .alive = observed };
		return true;
	}
	if (observed == h->alive) {
		h->streak = 0;
		return false;
	}
	if (++h->streak < (need ? need : 1))
		return false;
	h->alive = observed;
	h->streak = 0;
	return true;
}
