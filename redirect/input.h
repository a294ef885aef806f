/* SPDX-License-Identifier: MIT */
/*
 * input.h — read all of stdin, every byte, and throw it away.
 *
 * procmail writes the whole message into a backtick command's stdin; if the
 * command exits before reading it all, procmail's writer gets SIGPIPE. So the
 * header goes through the scanner (when there are rules) and the body is
 * drained unparsed: spliced to /dev/null when stdin is a pipe (no copy
 * through user space), read in big blocks otherwise.
 */
#ifndef ROAM_REDIRECT_INPUT_H
#define ROAM_REDIRECT_INPUT_H

#include <stdbool.h>

#include "error.h"
#include "header.h"

/* Reads fd to its end; scan may be NULL. *size is the number of bytes read.
 * A read error stops early and returns false with a message (a closed or
 * unreadable stdin is not an error: it is an empty message). */
bool redirect_read_input(int fd, struct header_scan *scan, unsigned long long *size,
			 struct roam_error *e);

#endif
