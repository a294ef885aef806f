/* SPDX-License-Identifier: MIT */
/*
 * mailbox.h — the door between run.c and a mailbox protocol (issue 18
 * item 4): list, fetch, delete, prove, close. POP3 (pop3.c) and IMAP (to come,
 * fetch/imap.c) each fill one struct mailbox_ops; run.c calls only these.
 *
 * PROPOSAL ONLY: nothing implements or includes this header yet. It is the
 * shape agreed in issue 18, written down so that the IMAP engine and the
 * POP3 adapter are built against the same calls.
 *
 * Protocol errors are reported as a mailbox_fault (one kind per cause), and
 * mailbox_exit_code() (one mapper, in one place) turns it into FETCH_EXIT_*:
 * protocols never pick tool exit codes themselves.
 */
#ifndef ROAM_FETCH_MAILBOX_H
#define ROAM_FETCH_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum mailbox_fault {
	MAILBOX_OK = 0,
	MAILBOX_FAULT_SOCKET,		/* stream closed, timed out, reset */
	MAILBOX_FAULT_AUTH,		/* login refused */
	MAILBOX_FAULT_PROTOCOL,		/* reply malformed, oversized, unexpected */
	MAILBOX_FAULT_REFUSED,		/* a well-formed NO/BAD/-ERR to a command */
	MAILBOX_FAULT_DELIVERY,		/* the sink stopped the transfer */
};

/* One message as the server lists it. key identifies it across sessions:
 * the POP3 UIDL (escaped, listing.h), or for IMAP "UIDVALIDITY/UID". */
struct mailbox_msg {
	const char *key;
	unsigned long id;		/* POP3 message number, IMAP UID */
	unsigned long size;		/* LIST size, RFC822.SIZE */
};

struct mailbox_list {
	struct mailbox_msg *msgs;
	size_t n;
};

/* receives a body chunk by chunk (never whole in memory); false stops it */
typedef bool (*mailbox_sink)(void *arg, const char *data, size_t len);

struct mailbox;

struct mailbox_ops {
	const char *name;		/* "pop3", "imap" (for messages) */
	/* connects over fd's stream, logs in, lists every message */
	bool (*list)(struct mailbox *m, struct mailbox_list *l, struct roam_error *e);
	/* streams message id (size from list sets the deadline) into sink */
	bool (*fetch)(struct mailbox *m, const struct mailbox_msg *msg, mailbox_sink sink,
		      void *arg, struct roam_error *e);
	/* marks id for deletion (POP3 DELE, IMAP \Deleted) */
	bool (*delete)(struct mailbox *m, const struct mailbox_msg *msg, struct roam_error *e);
	/* makes every delete so far final or reports why not (POP3: replies
	 * in flight; IMAP: UID EXPUNGE or EXPUNGE) */
	bool (*prove)(struct mailbox *m, struct roam_error *e);
	/* ends the session politely when it is alive, frees m */
	void (*close)(struct mailbox *m);
	/* after a false return: why */
	enum mailbox_fault (*fault)(const struct mailbox *m);
};

/* the one mapper from a fault to FETCH_EXIT_* (to be written with run.c) */
int mailbox_exit_code(enum mailbox_fault f);

#endif
