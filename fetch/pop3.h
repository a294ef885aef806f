/* SPDX-License-Identifier: MIT */
/*
 * pop3.h — one POP3 session spoken by libcurl over a local socket (see
 * transport.h): one easy handle reused for every command, so every command
 * rides the same connection and the same login.
 *
 * libcurl strips the terminating "." line and undoes dot-stuffing in
 * multi-line replies (lib/pop3.c, Curl_pop3_write: "\r\n.." becomes "\r\n."),
 * also on the first body line; so RETR bodies arrive here exactly as the
 * message was stored, with CRLF line ends, and nothing here unstuffs again.
 * libcurl 7.88 ends a RETR without error when the connection closes before
 * the terminating "." line (pop3_done does not check that it came), so the
 * caller must not trust a body until the server has answered a later command
 * on the same connection (see run.c).
 * DELE is sent with CURLOPT_NOBODY (a one-line reply); deletions take effect at
 * QUIT, which libcurl sends when the handle is closed.
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
	 * delivering; the first command has a second timeout for the login. */
	int timeout;
};

/* receives a RETR body chunk by chunk; false stops the transfer */
typedef bool (*pop3_sink)(void *arg, const char *data, size_t len);

struct pop3;

struct pop3 *pop3_new(const struct pop3_opts *o, struct roam_error *e);

/* UIDL, then LIST: every message with its UIDL (escaped: listing.h) and
 * size (the first command also connects and logs in). */
bool pop3_list(struct pop3 *p, struct pop3_listing *l, struct roam_error *e);
void pop3_listing_free(struct pop3_listing *l);

/* RETR num, streamed into sink; size is what LIST said (it sets the deadline,
 * see pop3_opts). */
bool pop3_retr(struct pop3 *p, unsigned long num, unsigned long size, pop3_sink sink,
	       void *arg, struct roam_error *e);

/* DELE num (takes effect at QUIT). */
bool pop3_dele(struct pop3 *p, unsigned long num, struct roam_error *e);

/* NOOP: an answer proves the connection (and every reply before it) whole. */
bool pop3_noop(struct pop3 *p, struct roam_error *e);

/* After a false return: the FETCH_EXIT_* it means (FETCH_EXIT_DELIVERY when
 * the sink stopped the transfer). */
int pop3_exit_code(const struct pop3 *p);

/* Commands sent so far (the round trips of the session). */
unsigned long pop3_commands(const struct pop3 *p);

/* Sends QUIT (committing DELEs) when the session is alive, frees p. */
void pop3_close(struct pop3 *p);

#endif
