/* SPDX-License-Identifier: MIT */
/* targets.h — from what the user typed to the distinct IPv4 addresses to probe. */
#ifndef ROAM_PROBE_TARGETS_H
#define ROAM_PROBE_TARGETS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "hyst.h"

struct probe_target {
	struct in_addr addr;
	const char *name;	/* as given first (not owned) */
	struct probe_hyst hyst;
	int64_t since;		/* when the stored decision was made */
	int64_t written;	/* CHECKED of the last state file written or read; 0: none */
};

/* Called for every name that is not a usable IPv4 target, and for duplicates
 * (bad == false: probed once under the first name). */
typedef void probe_target_note(const char *name, const char *why, bool bad, void *ctx);

/* Resolves names (dotted quads, else host names through getaddrinfo, IPv4
 * only), drops the bad ones and the duplicates, keeps the order given.
 * Returns false only when out of memory; *nbad counts the bad names. */
bool probe_targets_resolve(char *const *names, size_t n, struct probe_target **out,
			   size_t *nout, size_t *nbad, probe_target_note *note, void *ctx,
			   struct roam_error *e);

/* One name to an address; false with why filled when it is not a usable
 * IPv4 unicast target. */
bool probe_target_parse(const char *name, struct in_addr *a, char *why, size_t len);

#endif
