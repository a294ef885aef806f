/* SPDX-License-Identifier: MIT */
/*
 * header.h — the loop and sender rules, checked on the message header only.
 *
 * The scanner is fed the message in pieces as they arrive and says how much
 * of each piece was header; the body is never looked at. It unfolds folded
 * lines, accepts CRLF and LF, and keeps a bounded copy of one logical line
 * at a time, so a header of any size costs the same memory.
 *
 *   loop rule:   a header field with the name and value of loop_header
 *                ("X-Loop: roam@example.net"; case-insensitive, blanks around
 *                the value ignored; "X-Loop:" alone matches any value)
 *   sender rule: the envelope sender (procmail's leading "From " line) or the
 *                address of the From: field matches a skip_from pattern
 *                (fnmatch(3) glob, case-insensitive: "*@lists.example.net")
 *
 * A line is compared on all its bytes: a NUL inside it is one more byte
 * (never the end of the value), so "X-Loop: roam@example.net\0x" is not the
 * loop line and "From: x\0 <a@lists.example.net>" is a list's mail.
 */
#ifndef ROAM_REDIRECT_HEADER_H
#define ROAM_REDIRECT_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* longer logical lines are kept truncated (RFC 5322 allows 998 bytes a line) */
#define HEADER_LINE_MAX 2048

struct header_rules {
	char loop_name[128];		/* "X-Loop"; empty: no loop rule */
	char loop_value[256];		/* "roam@example.net"; empty: any value */
	const char *const *skip_from;	/* patterns */
	size_t nskip;
	char nul_stand_in;		/* what a NUL of an address is to fnmatch */
};

/* Splits "Name: value" into rules; false with a message when it is not a
 * header line. NULL spec: no loop rule. */
bool header_rules_init(struct header_rules *r, const char *loop_header,
		       const char *const *skip_from, size_t nskip, struct roam_error *e);
bool header_rules_empty(const struct header_rules *r);

struct header_scan {
	const struct header_rules *rules;
	char line[HEADER_LINE_MAX];	/* the logical line being read, unfolded */
	size_t len;
	bool truncated;			/* line lost bytes beyond HEADER_LINE_MAX */
	bool eol;			/* a '\n' was read; the next byte says fold or not */
	bool first;			/* still on the first logical line */
	bool done;			/* end of header seen (or EOF) */
	bool matched;
	char reason[512];		/* why it matched, for the log */
};

void header_scan_init(struct header_scan *h, const struct header_rules *r);
/* Consumes header bytes of buf; returns how many (less than n once the empty
 * line that ends the header was consumed: the rest is body). */
size_t header_scan_feed(struct header_scan *h, const char *buf, size_t n);
/* End of input: checks the last line of a message without a body. */
void header_scan_finish(struct header_scan *h);

#endif
