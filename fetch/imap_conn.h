/* SPDX-License-Identifier: MIT */
/*
 * imap_conn.h — inside mailbox_imap: the connection (imap_conn.c: the
 * socket, deadlines, reply lines and literals, FETCH responses, tagged
 * commands) shared with the session (imap.c: login, SELECT, the mailbox
 * operations). Not for other files.
 */
#ifndef ROAM_FETCH_IMAP_CONN_H
#define ROAM_FETCH_IMAP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mailbox.h"

enum {
	LINE_MAX_OCTETS = 8192,		/* one reply line up to CRLF or a literal */
	HEADER_MAX = 64 << 10,		/* the Message-ID field's literal */
	SKIP_MAX = 1 << 20,		/* a literal we did not ask for */
	FLOOR_RATE = 1024,		/* octets a second a command may drip */
	EXPUNGE_CHUNK = 200,		/* UIDs per UID EXPUNGE command */
};

#define BODY_MAX ((unsigned long)1 << 40)

struct imap {
	struct mailbox base;		/* first: a struct mailbox * is a struct imap * */
	struct mailbox_opts o;
	int fd;
	enum mailbox_fault code;
	bool broken, selected, uidplus, idle;
	unsigned long tag, commands;
	char in[16384];
	size_t in_pos, in_len;
	char line[LINE_MAX_OCTETS + 1];
	size_t line_len;
	/* the command's deadline */
	double started, in_sink;
	unsigned long expect, received;
	int budget;			/* seconds: timeout, or twice for the login */
	char what[64];			/* the command, for messages */
	unsigned long uidvalidity, exists;
	unsigned long *removed;		/* UIDs marked \Deleted, not yet expunged */
	size_t nremoved, removed_cap;
};

/* what one FETCH response gave */
struct fetch_items {
	unsigned long uid, size;
	bool has_uid, has_size, has_body, has_header;
	uint64_t header_digest;
	bool header_has_mid;
	/* BODY[] goes here when set */
	mailbox_sink sink;
	void *sink_arg;
	bool sink_stopped;
};

typedef bool (*on_fetch)(struct imap *m, const struct fetch_items *it, void *arg,
			 struct roam_error *e);

enum status { ST_OK, ST_NO, ST_BAD };

/* sets the fault (and, unless the server merely refused, the session out of
 * step) and e = "IMAP <what>: <fmt…>"; false */
bool imap_fail(struct imap *m, enum mailbox_fault f, struct roam_error *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* a new command's deadline: budget seconds plus one per KiB of expect or of
 * what arrives, whichever is more, not counting the sink's time */
void imap_begin(struct imap *m, const char *what, unsigned long expect);

/* connects to o.socket_path (transport.h) */
bool imap_connect(struct imap *m, struct roam_error *e);

/* the next reply line, without CRLF, into m->line */
bool imap_read_line(struct imap *m, struct roam_error *e);

/* m->line, safe for a log (buf: 201 bytes) */
const char *imap_shown(const struct imap *m, char *buf);

/* "aN VERB[ S1[ S2]]" (strings quoted, or sent as literals), then every reply
 * up to the tagged one, whose status is *st (its line in m->line). Untagged
 * FETCH responses go to fetch (items parsed over a copy of proto: with
 * proto->sink set, BODY[] streams into it). what NULL: the deadline runs on. */
bool imap_command(struct imap *m, const char *what, const char *verb, const char *s1,
		  const char *s2, on_fetch fetch, void *arg, struct fetch_items *proto,
		  enum status *st, struct roam_error *e);

/* the same, for a command that must be OK: NO is the server's refusal, BAD a
 * protocol error */
bool imap_command_ok(struct imap *m, const char *what, const char *verb, const char *s1,
		     on_fetch fetch, void *arg, struct fetch_items *proto, struct roam_error *e);

/* --watch (IDLE) pieces: the line as it is (CRLF added); whether a reply
 * byte is there within ms; one untagged line (in m->line) taken into account
 * (EXISTS, EXPUNGE), the literals ending it read; every reply up to the
 * tagged one of the last command */
bool imap_send_line(struct imap *m, const char *line, struct roam_error *e);
bool imap_readable(struct imap *m, int ms);
bool imap_untagged_line(struct imap *m, struct roam_error *e);
bool imap_response(struct imap *m, enum status *st, struct roam_error *e);

#endif
