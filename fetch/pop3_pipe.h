/* SPDX-License-Identifier: MIT */
/*
 * pop3_pipe.h — POP3 commands written ahead of their replies (RFC 2449
 * PIPELINING), on a connection libcurl opened and logged in
 * (CURLOPT_CONNECT_ONLY), through curl_easy_send and curl_easy_recv.
 *
 * Commands go out in order; their replies come back in the same order and are
 * read one at a time with pipe_read. Nothing here decides how many commands
 * are in flight: the caller does (pop3.c), and sends one at a time when the
 * server does not announce PIPELINING. Writes never block: what the socket
 * does not take waits in a buffer and goes out while replies are read, so a
 * server that stops reading until its replies are read cannot deadlock us.
 *
 * Every reply has a deadline of its own, counted from when pipe_read starts
 * to wait for it (its command was sent, the replies before it read): timeout seconds, plus
 * one per KiB it carries (the octets the caller announced, for a RETR what
 * LIST said; for a listing, what arrives), not counting the time the handler
 * spent. A server dripping bytes is bounded as in the lock-step session.
 */
#ifndef ROAM_FETCH_POP3_PIPE_H
#define ROAM_FETCH_POP3_PIPE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "mailbox.h"
#include "pop3_reply.h"

enum pipe_kind {
	PIPE_STATUS,	/* one line: DELE, NOOP, QUIT */
	PIPE_LINES,	/* +OK, then lines up to ".": UIDL, LIST, CAPA */
	PIPE_BODY,	/* +OK, then a message up to ".": RETR */
};

/* PIPE_LINES: one line without its CRLF; PIPE_BODY: a chunk of the message.
 * false stops the session (it cannot be read any further). */
typedef bool (*pipe_data)(void *arg, const char *data, size_t len);

struct pipe_cmd {
	char verb[5];
	unsigned long num;	/* 0: none */
	unsigned long octets;	/* what the reply carries, as far as known */
	enum pipe_kind kind;
	double sent;		/* CLOCK_MONOTONIC seconds */
};

struct pop3_pipe;

/* h: connected with CURLOPT_CONNECT_ONLY and logged in */
struct pop3_pipe *pipe_new(CURL *h, int timeout, struct roam_error *e);
void pipe_free(struct pop3_pipe *pp);

/* Queues "VERB[ NUM]" and writes what the socket takes. */
bool pipe_send(struct pop3_pipe *pp, const char *verb, unsigned long num,
	       enum pipe_kind kind, unsigned long octets, struct roam_error *e);

/* Reads the next reply whole: its lines or body go to data (NULL: dropped).
 * True with *status REPLY_OK or REPLY_ERR; false + e (and pipe_code) when the
 * connection, the server's bytes, the deadline or data failed: the session
 * is then broken. */
bool pipe_read(struct pop3_pipe *pp, pipe_data data, void *arg, enum reply_status *status,
	       struct roam_error *e);

/* The command whose reply comes next, or NULL; and how many are awaited. */
const struct pipe_cmd *pipe_next(const struct pop3_pipe *pp);
size_t pipe_waiting(const struct pop3_pipe *pp);
/* the command after c (from pipe_next), or NULL */
const struct pipe_cmd *pipe_cmd_after(const struct pop3_pipe *pp, const struct pipe_cmd *c);

/* "VERB NUM" or "VERB", for a message */
void pipe_describe(const struct pipe_cmd *c, char *what, size_t size);

/* the last status line (escaped for a log), "" before any */
const char *pipe_last_reply(const struct pop3_pipe *pp);

/* after a false return: why (mailbox.h) */
enum mailbox_fault pipe_code(const struct pop3_pipe *pp);
bool pipe_broken(const struct pop3_pipe *pp);

/* commands written so far */
unsigned long pipe_commands(const struct pop3_pipe *pp);

/* Shuts the socket down (libcurl then finds it closed and sends nothing). */
void pipe_shutdown(struct pop3_pipe *pp);

#endif
