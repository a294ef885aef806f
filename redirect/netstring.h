/* SPDX-License-Identifier: MIT */
/*
 * netstring.h — D. J. Bernstein's netstrings, as Postfix's socketmap speaks
 * them: "LEN:DATA," with LEN in decimal.
 *
 * The parser looks at the bytes a connection has buffered so far and says
 * whether they start with one whole netstring, need more bytes, or can never
 * become one (then the connection is closed): a LEN that is not decimal, has
 * a leading zero, or exceeds the caller's maximum, or a byte other than ','
 * after DATA. It never reads past len and never allocates.
 */
#ifndef ROAM_REDIRECT_NETSTRING_H
#define ROAM_REDIRECT_NETSTRING_H

#include <stddef.h>

enum netstring_result {
	NETSTRING_MORE,		/* a prefix of a netstring: read more */
	NETSTRING_OK,		/* *data, *dlen: its DATA; *used: bytes it took */
	NETSTRING_BAD,		/* never a netstring (or too long) */
};

enum netstring_result netstring_parse(const char *buf, size_t len, size_t max,
				      const char **data, size_t *dlen, size_t *used);

/* "LEN:DATA," into out; its length, or 0 when cap is too small. */
size_t netstring_format(char *out, size_t cap, const char *data, size_t dlen);

#endif
