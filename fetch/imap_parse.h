/* SPDX-License-Identifier: MIT */
/*
 * imap_parse.h — pieces of a strict IMAP4rev1 reply parser (issue 18 item 2).
 * Started: only the literal marker so far; the rest of the parser is to come.
 */
#ifndef ROAM_FETCH_IMAP_PARSE_H
#define ROAM_FETCH_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* A reply line (without its CRLF) that ends in a literal marker "{N}":
 * true with *n = N when N is all digits, no leading '+', at most cap.
 * False for anything else (no marker, empty, non-digit, overflow, N > cap). */
bool imap_literal_size(const char *line, size_t len, unsigned long cap, unsigned long *n);

#endif
