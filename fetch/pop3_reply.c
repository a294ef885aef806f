/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "pop3_reply.h"

enum reply_status reply_status(const char *line, size_t len)
{
	if (len + 2 > REPLY_LINE_MAX || memchr(line, '\0', len) || memchr(line, '\r', len) ||
	    memchr(line, '\n', len))
		return REPLY_BAD;
	if (len >= 3 && !memcmp(line, "+OK", 3) && (len == 3 || line[3] == ' '))
		return REPLY_OK;
	if (len >= 4 && !memcmp(line, "-ERR", 4) && (len == 4 || line[4] == ' '))
		return REPLY_ERR;
	return REPLY_BAD;
}

/* where the last octet left a body */
enum {
	AT_FIRST,	/* nothing yet: the first line starts */
	AT_START,	/* a line starts (after CRLF) */
	IN_LINE,	/* inside a line */
	AFTER_CR,	/* inside a line, after a CR */
	AFTER_DOT,	/* a line started with a dot (dropped, unless the next is CR LF) */
	AFTER_DOT_CR,	/* "." then CR at a line's start: LF ends the body */
};

void reply_body_init(struct reply_body *b, bool verbatim_first)
{
	b->state = AT_FIRST;
	b->verbatim_first = verbatim_first;
	b->hold_dot = false;
}

/* an octet inside a line (or what follows a dropped dot) */
static int in_line(char c)
{
	return c == '\r' ? AFTER_CR : IN_LINE;
}

size_t reply_body_feed(struct reply_body *b, const char *in, size_t len, char *out,
		       size_t *outlen, bool *done)
{
	size_t i = 0, o = 0;

	*done = false;
	while (i < len) {
		char c = in[i];

		if (b->state == IN_LINE) {	/* the bulk: copy up to the next CR */
			const char *cr = memchr(in + i, '\r', len - i);
			size_t n = cr ? (size_t)(cr - (in + i)) + 1 : len - i;

			memcpy(out + o, in + i, n);
			o += n;
			i += n;
			if (cr)
				b->state = AFTER_CR;
			continue;
		}
		i++;
		switch (b->state) {
		case AT_FIRST:
		case AT_START:
			if (c == '.') {
				/* kept, unless "\r\n" follows: that still ends the body */
				b->hold_dot = b->state == AT_FIRST && b->verbatim_first;
				b->state = AFTER_DOT;
				continue;
			}
			b->state = in_line(c);
			break;
		case AFTER_CR:
			b->state = c == '\n' ? AT_START : in_line(c);
			break;
		case AFTER_DOT:
			if (c == '\r') {
				b->state = AFTER_DOT_CR;
				continue;
			}
			if (b->hold_dot)
				out[o++] = '.';
			b->state = in_line(c);
			break;
		case AFTER_DOT_CR:
			if (c == '\n') {
				*done = true;
				*outlen = o;
				return i;
			}
			if (b->hold_dot)
				out[o++] = '.';
			out[o++] = '\r';	/* the CR held back after a dot */
			b->state = in_line(c);
			break;
		}
		out[o++] = c;
	}
	*outlen = o;
	return i;
}
