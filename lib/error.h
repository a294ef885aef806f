/* SPDX-License-Identifier: MIT */
/*
 * error.h — a one-line error message carried out of a library function.
 *
 * Library code never prints and never exits: it fills a roam_error and returns
 * false (or -1), and the tool's main() decides where the line goes and which
 * exit status it means.
 */
#ifndef ROAM_ERROR_H
#define ROAM_ERROR_H

#include <stdbool.h>

struct roam_error {
	char msg[512];
};

/* Formats into e->msg (when e is not NULL) and returns false, so that callers
 * can write `return roam_error_set(e, "...")`. */
bool roam_error_set(struct roam_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
