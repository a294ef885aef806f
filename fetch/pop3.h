/* SPDX-License-Identifier: MIT */
/*
 * pop3.h — one POP3 session over a local socket (see transport.h): libcurl
 * connects and logs in (CURLOPT_CONNECT_ONLY), then pop3_pipe.c speaks every
 * command on that connection through curl_easy_send/recv.
 *
 * When the server's CAPA (asked after the login) says PIPELINING (RFC 2449),
 * UIDL and LIST go out together, RETRs of the plan (pop3_plan) are sent ahead
 * — up to 100 in flight, and 4 MiB of what LIST said beyond the first — and
 * DELEs are sent without waiting for their replies, which are read with the
 * next ones; a DELE goes out only when the caller asks (after the message
 * is recorded). Without PIPELINING, or with pipelining = no, one command at a
 * time, each reply read before the next command goes out.
 *
 * A body ends at its "." line, checked here (pop3_reply.h): a connection that
 * closes before it is an error, never a short message. Dot-stuffing is undone;
 * bodies arrive exactly as the message was stored, with CRLF line ends.
 * Deletions take effect at QUIT, which pop3_close sends when the session is
 * alive, after reading every reply still in flight.
 *
 * Shaped as the calls a mailbox protocol needs (list, fetch, delete, sync,
 * close), so that it can sit behind such an interface.
 */
#ifndef ROAM_FETCH_POP3_H
#define ROAM_FETCH_POP3_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "listing.h"

struct pop3_opts {
	const char *socket_path;	/* CURLOPT_UNIX_SOCKET_PATH */
	const char *user;
	const char *password;
	/* Seconds for a reply. It bounds every command as a whole too, so that a
	 * server dripping bytes cannot hold the session: a command must end within
	 * timeout seconds, plus one per KiB it carries (for RETR, the size LIST
	 * gave; for a listing, what arrived), plus the time the sink spent
	 * delivering; the connect and login together have twice timeout. */
	int timeout;
	bool pipelining;		/* pipeline when the server says PIPELINING */
};

/* a message the caller will retrieve: its number and LIST size */
struct pop3_msg_ref {
	unsigned long num;
	unsigned long size;
};

/* receives a RETR body chunk by chunk; false stops the transfer */
typedef bool (*pop3_sink)(void *arg, const char *data, size_t len);

struct pop3;

struct pop3 *pop3_new(const struct pop3_opts *o, struct roam_error *e);

/* UIDL, then LIST: every message with its UIDL (escaped: listing.h) and
 * size (the first command also connects and logs in). */
bool pop3_list(struct pop3 *p, struct pop3_listing *l, struct roam_error *e);
void pop3_listing_free(struct pop3_listing *l);

/* The messages the caller will pop3_retr, in rising order (copied): with
 * pipelining, their RETRs are sent ahead. Skipping one is allowed (it is then
 * never sent), and so is asking for one not in the plan. */
bool pop3_plan(struct pop3 *p, const struct pop3_msg_ref *msgs, size_t n, struct roam_error *e);

/* RETR num, streamed into sink; size is what LIST said (it sets the deadline,
 * see pop3_opts). */
bool pop3_retr(struct pop3 *p, unsigned long num, unsigned long size, pop3_sink sink,
	       void *arg, struct roam_error *e);

/* DELE num (takes effect at QUIT). Pipelined, true once it is sent: its reply
 * is checked by a later call. */
bool pop3_dele(struct pop3 *p, unsigned long num, struct roam_error *e);

/* Reads every reply still in flight (pipelined DELEs'): false when one was
 * not +OK, as pop3_dele would have been without pipelining. */
bool pop3_sync(struct pop3 *p, struct roam_error *e);

/* After a false return: the FETCH_EXIT_* it means (FETCH_EXIT_DELIVERY when
 * the sink stopped the transfer). */
int pop3_exit_code(const struct pop3 *p);

/* true when the session pipelines (known after pop3_list) */
bool pop3_pipelining(const struct pop3 *p);

/* Commands sent so far (the round trips of the session). */
unsigned long pop3_commands(const struct pop3 *p);

/* Sends QUIT (committing DELEs) when the session is alive, frees p. */
void pop3_close(struct pop3 *p);

#endif
