/* SPDX-License-Identifier: MIT */
/*
 * input.h — read stdin, every byte while there is time, and throw it away.
 *
 * procmail writes the whole message into a backtick command's stdin; if the
 * command exits before reading it all, procmail's writer gets SIGPIPE. So the
 * header goes through the scanner (when there are rules) and the body is
 * drained unparsed: spliced to /dev/null when stdin is a pipe (no copy
 * through user space), read in big blocks otherwise.
 *
 * Reading is bounded in time: a writer that never closes (a hung MDA chain,
 * stdin being the read end of our own stdout's pipe) must not keep the
 * filter, and procmail behind it, waiting for ever. Every wait is a poll()
 * that ends at `until`, a point on CLOCK_MONOTONIC in milliseconds.
 */
#ifndef ROAM_REDIRECT_INPUT_H
#define ROAM_REDIRECT_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "header.h"

enum input_end {
	INPUT_DONE,	/* header: its end was read (or EOF); drain: EOF */
	INPUT_TIMEOUT,	/* `until` came first */
	INPUT_ERROR,	/* a read error; e says which */
};

/* milliseconds on CLOCK_MONOTONIC */
int64_t redirect_now_ms(void);

/* Feeds fd to scan until the header has ended; *size counts every byte read
 * (some of the body too). A closed or unreadable stdin is an empty message. */
enum input_end redirect_read_header(int fd, struct header_scan *scan, unsigned long long *size,
				    int64_t until, struct roam_error *e);
/* Reads the rest of fd to its end, adding to *size. */
enum input_end redirect_drain(int fd, unsigned long long *size, int64_t until,
			      struct roam_error *e);

#endif
