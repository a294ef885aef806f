/* SPDX-License-Identifier: MIT */
#include "imap_parse.h"

/* v * 10 + d within cap, never overflowing */
static bool push_digit(unsigned long *v, unsigned long d, unsigned long cap)
{
	if (d > cap || *v > (cap - d) / 10)
		return false;
	*v = *v * 10 + d;
	return true;
}

bool imap_literal_size(const char *line, size_t len, unsigned long cap, unsigned long *n)
{
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t open = len - 1;
	while (open > 0 && line[open - 1] != '{')
		open--;
	if (open == 0 || open == len - 1)
		return false;	/* no '{', or "{}" */
	unsigned long v = 0;
	for (size_t i = open; i < len - 1; i++)
		if (line[i] < '0' || line[i] > '9' ||
		    !push_digit(&v, (unsigned long)(line[i] - '0'), cap))
			return false;	/* beyond the cap, and so never overflows */
	*n = v;
	return true;
}

bool imap_number(const char **p, const char *end, unsigned long cap, unsigned long *v)
{
	const char *s = *p;
	unsigned long n = 0;

	if (s >= end || *s < '0' || *s > '9')
		return false;
	for (; s < end && *s >= '0' && *s <= '9'; s++)
		if (!push_digit(&n, (unsigned long)(*s - '0'), cap))
			return false;
	*p = s;
	*v = n;
	return true;
}

static bool atom_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.';
}

size_t imap_item_name(const char *p, const char *end)
{
	const char *s = p;

	while (s < end && atom_char(*s))
		s++;
	if (s == p)
		return 0;
	if (s < end && *s == '[') {
		for (s++; s < end && *s != ']'; s++)
			if (*s == '[' || *s == '\r' || *s == '\n' || *s == '\0')
				return 0;
		if (s == end)
			return 0;
		s++;
		if (s < end && *s == '<') {
			const char *q = s + 1;
			unsigned long n;

			if (!imap_number(&q, end, (unsigned long)-1, &n) || q == end || *q != '>')
				return 0;
			s = q + 1;
		}
	}
	return (size_t)(s - p);
}

bool imap_quoted(const char **p, const char *end, char *out, size_t cap, size_t *len)
{
	const char *s = *p;
	size_t n = 0;

	if (s >= end || *s++ != '"')
		return false;
	for (; s < end && *s != '"'; s++) {
		char c = *s;

		if (c == '\r' || c == '\n' || c == '\0')
			return false;
		if (c == '\\') {
			if (++s == end || (*s != '"' && *s != '\\'))
				return false;
			c = *s;
		}
		if (n == cap)
			return false;
		out[n++] = c;
	}
	if (s == end)
		return false;
	*p = s + 1;
	*len = n;
	return true;
}
