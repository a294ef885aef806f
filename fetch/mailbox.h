/* SPDX-License-Identifier: MIT */
/*
 * mailbox.h — the door between run.c and a mailbox protocol (issue 18 item
 * 4): open, list, fetch, delete, prove, close. POP3 (pop3.c) and IMAP
 * (imap.c) each fill one struct mailbox_ops, selected by [fetch] protocol
 * through mailbox_protocols[]; run.c and main.c call only these. A third
 * protocol is a new file and one line in mailbox.c's table.
 *
 * Both reach the server over a local socket (transport.h) that the pump
 * carries to the ssh stream: the protocol connects there itself.
 *
 * A protocol never picks a tool exit code: after a false return its fault()
 * says why, and mailbox_exit_code() (mailbox.c, the one mapper) turns that
 * into FETCH_EXIT_*.
 */
#ifndef ROAM_FETCH_MAILBOX_H
#define ROAM_FETCH_MAILBOX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "listing.h"

enum mailbox_fault {
	MAILBOX_FAULT_PROTOCOL = 0,	/* reply malformed, oversized, unexpected */
	MAILBOX_FAULT_SOCKET,		/* stream closed or reset */
	MAILBOX_FAULT_AUTH,		/* login refused */
	MAILBOX_FAULT_REFUSED,		/* a well-formed -ERR / NO / BAD to a command */
	MAILBOX_FAULT_TIMEOUT,		/* the server was too slow (see mailbox_opts.timeout) */
	MAILBOX_FAULT_IN_USE,		/* another client holds the maildrop ([IN-USE]) */
	MAILBOX_FAULT_DELIVERY,		/* the sink stopped the transfer */
	MAILBOX_FAULT_LOCAL,		/* out of memory */
	MAILBOX_FAULT_GONE,		/* fetch: the message left the server after the
					 * listing (another client): the session is fine */
};

struct mailbox_opts {
	const char *socket_path;	/* transport_path(): the local end of the stream */
	const char *user;
	const char *password;
	const char *folder;		/* IMAP: the mailbox to SELECT */
	/* Seconds for a reply. It bounds every command as a whole too, so that a
	 * server dripping bytes cannot hold the session: a command must end within
	 * timeout seconds, plus one per KiB it carries, plus the time the sink
	 * spent delivering; the connect and login together have twice timeout. */
	int timeout;
	bool pipelining;		/* POP3: pipeline when the server says PIPELINING */
	bool keep;			/* nothing will be removed (IMAP: EXAMINE) */
};

/* a message the caller will fetch: its id and listed size */
struct mailbox_ref {
	unsigned long num;
	unsigned long size;
};

/* receives a body chunk by chunk (never whole in memory); false stops it */
typedef bool (*mailbox_sink)(void *arg, const char *data, size_t len);

struct mailbox;

struct mailbox_ops {
	const char *name;		/* protocol = NAME */
	const char *label;		/* "POP3", for messages */
	int default_port;		/* server_port unset */
	/* a session that connects at the first list; NULL + e */
	struct mailbox *(*open)(const struct mailbox_opts *o, struct roam_error *e);
	/* connects and logs in when not done yet, then lists every message
	 * (listing.h: num, size, the key in uidl; IMAP also alt and epoch) */
	bool (*list)(struct mailbox *m, struct mailbox_listing *l, struct roam_error *e);
	/* the messages the caller will fetch, in rising order (a hint: POP3
	 * pipelining asks for them ahead); skipping one is allowed */
	bool (*plan)(struct mailbox *m, const struct mailbox_ref *refs, size_t n,
		     struct roam_error *e);
	/* streams message msg into sink; its body is whole when this returns true */
	bool (*fetch)(struct mailbox *m, const struct mailbox_msg *msg, mailbox_sink sink,
		      void *arg, struct roam_error *e);
	/* marks msg for deletion (POP3 DELE, IMAP \Deleted): final only after
	 * prove and close */
	bool (*remove)(struct mailbox *m, const struct mailbox_msg *msg, struct roam_error *e);
	/* every reply still in flight read, every remove so far made final or
	 * reported (POP3: pipelined DELEs; IMAP: UID EXPUNGE or EXPUNGE) */
	bool (*prove)(struct mailbox *m, struct roam_error *e);
	/* ends the session politely when it is alive (POP3 QUIT commits the
	 * DELEs), frees m; NULL allowed */
	void (*close)(struct mailbox *m);
	/* after a false return: why */
	enum mailbox_fault (*fault)(const struct mailbox *m);
	/* commands sent so far (the round trips, for the report) */
	unsigned long (*commands)(const struct mailbox *m);
	/* --watch: waits on the open session up to seconds for news (IMAP
	 * IDLE), looking at *stop at least once a second: 1 when the folder
	 * changed or may have, 0 when the time ran out or *stop was set, -1 + e
	 * (and fault) when the session broke. NULL: the protocol cannot wait
	 * (a POP3 maildrop is fixed for its session): the caller closes the
	 * session and polls. */
	int (*wait)(struct mailbox *m, int seconds, const volatile sig_atomic_t *stop,
		    struct roam_error *e);
};

struct mailbox {
	const struct mailbox_ops *ops;
};

extern const struct mailbox_ops mailbox_pop3, mailbox_imap;

/* every protocol, NULL-terminated (protocol's choices, in this order) */
extern const struct mailbox_ops *const mailbox_protocols[];
const struct mailbox_ops *mailbox_find(const char *name);

/* the one mapper from a fault to FETCH_EXIT_* */
int mailbox_exit_code(enum mailbox_fault f);

#endif
