/* SPDX-License-Identifier: MIT */
/*
 * pop3_reply.h — a POP3 server's replies, parsed as hostile input, without
 * the network: status lines, and the body of a multi-line reply streamed
 * through dot-unstuffing to its terminating "." line.
 *
 * A status line is "+OK" or "-ERR", then the end of the line or a space and
 * any text, at most 512 octets with its CRLF (RFC 1939, RFC 2449); anything
 * else is a protocol error. A body's lines end in CRLF; a line that starts
 * with "." loses that dot, and the line "." alone ends the body. The bytes in
 * between (bare CR or LF, NULs, 8-bit) are the message's and pass unchanged.
 *
 * dovecot 2.3 does not stuff the first line of a RETR body (a message whose
 * first line is ".x" arrives as ".x", not "..x"); verbatim_first keeps that
 * line's dot, as the lock-step path always did (tests/lab/fetch-basic.t).
 */
#ifndef ROAM_FETCH_POP3_REPLY_H
#define ROAM_FETCH_POP3_REPLY_H

#include <stdbool.h>
#include <stddef.h>

enum {
	REPLY_LINE_MAX = 512,	/* octets, CRLF included */
};

enum reply_status { REPLY_OK, REPLY_ERR, REPLY_BAD };

/* line without its CRLF */
enum reply_status reply_status(const char *line, size_t len);

struct reply_body {
	int state;		/* where in a line the last octet left us */
	bool verbatim_first;	/* the first line keeps a leading dot */
	bool hold_dot;		/* that dot, not yet written */
};

void reply_body_init(struct reply_body *b, bool verbatim_first);

/* Feeds in[0..len): the message's octets go to out (room for len + 2), their
 * number to *outlen; returns how many octets of in belong to the body (its
 * terminator included), and sets *done when the terminator was among them.
 * The rest of in, if any, is the next reply's. */
size_t reply_body_feed(struct reply_body *b, const char *in, size_t len, char *out,
		       size_t *outlen, bool *done);

#endif
