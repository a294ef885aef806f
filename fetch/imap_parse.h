/* SPDX-License-Identifier: MIT */
/*
 * imap_parse.h — the pure pieces of imap.c's strict IMAP4rev1 reply parser
 * (RFC 3501 §9): a literal marker, a number, a FETCH item's name, a quoted
 * string. Each reads from *p up to end and moves *p past what it took; on
 * false, *p and the outputs are untouched. No allocation, no I/O: imap.c
 * reads the lines and literals, these only judge bytes.
 */
#ifndef ROAM_FETCH_IMAP_PARSE_H
#define ROAM_FETCH_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* A reply line (without its CRLF) that ends in a literal marker "{N}":
 * true with *n = N when N is all digits, no leading '+', at most cap.
 * False for anything else (no marker, empty, non-digit, overflow, N > cap). */
bool imap_literal_size(const char *line, size_t len, unsigned long cap, unsigned long *n);

/* number = 1*DIGIT, at most cap (no sign, no overflow) */
bool imap_number(const char **p, const char *end, unsigned long cap, unsigned long *v);

/* A FETCH item's name: an atom (letters, digits, '.'), optionally a section
 * "[...]" (one level, no CR/LF/NUL inside) and a partial "<N>" after it, as
 * in BODY[HEADER.FIELDS (MESSAGE-ID)]. Returns its length (0: malformed). */
size_t imap_item_name(const char *p, const char *end);

/* quoted = DQUOTE *(char except CR LF NUL, or \" \\) DQUOTE, into out (at
 * most cap bytes, not NUL-terminated) with *len */
bool imap_quoted(const char **p, const char *end, char *out, size_t cap, size_t *len);

#endif
