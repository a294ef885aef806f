/* SPDX-License-Identifier: MIT */
/* output.h — the one place that prints results: fping-like lines or one JSON
 * object per line (--json), the same fields either way. */
#ifndef ROAM_PROBE_OUTPUT_H
#define ROAM_PROBE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "probe.h"

struct probe_result {
	const char *name;		/* as the user gave it */
	const char *address;		/* dotted quad */
	bool alive;			/* the decision (after hysteresis) */
	bool answered;			/* this pass had an answer */
	uint32_t rtt_us;		/* the fastest answer's round trip */
	const char *method;		/* "icmp", "dgram", "tcp:25", "none" */
	int64_t checked, since;
};

/* "tcp:PORT" for tcp, else the method's name */
void probe_method_label(enum roam_probe_method m, uint16_t port, char *buf, size_t len);

/* One line to f: text or JSON. Returns false when writing failed. */
bool probe_print(FILE *f, const struct probe_result *r, bool json);

#endif
