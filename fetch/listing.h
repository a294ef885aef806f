/* SPDX-License-Identifier: MIT */
/*
 * listing.h — a mailbox's listing (mailbox.h), every protocol's: for POP3
 * (UIDL, then LIST), parsed strictly here.
 *
 * A message number is decimal digits only, at least 1 ("-5" or "+5" is a
 * protocol error, never 2^64-5), and numbers rise through the listing. A
 * UIDL is everything after "NUM " (RFC 1939: 1-70 octets of 0x21-0x7e).
 * Servers break the range (a space, a tab, UTF-8, a NUL), so bytes outside it
 * are not refused but escaped as %XX, and '%' itself as %25 so that two
 * different UIDLs never escape alike: the escaped form is what the record,
 * the Maildir key and the log see, and it is pure printable ASCII.
 */
#ifndef ROAM_FETCH_LISTING_H
#define ROAM_FETCH_LISTING_H

#include <stdbool.h>
#include <stddef.h>

enum {
	LISTING_UIDL_MAX = 70,				/* octets on the wire (RFC 1939) */
	LISTING_KEY_MAX = 3 * LISTING_UIDL_MAX,		/* escaped */
	LISTING_MESSAGES_MAX = 1000000,			/* more is a broken server */
};

struct mailbox_msg {
	unsigned long num;		/* POP3: message number in this session; IMAP: UID */
	unsigned long size;		/* octets, from LIST (IMAP: RFC822.SIZE) */
	char *uidl;			/* the record key: the UIDL, escaped (see above);
					 * IMAP: "UIDVALIDITY.UID" */
	bool escaped;			/* the server's UIDL had bytes outside 0x21-0x7e */
	/* IMAP: a second record key from the message itself ("mid.DIGEST.SIZE"
	 * of its Message-ID header), NULL when it has none: what matches it
	 * once the epoch changed (run.c); POP3: NULL */
	char *alt;
};

struct mailbox_listing {
	struct mailbox_msg *msgs;
	size_t n;
	/* IMAP: "imap-uidvalidity.V"; the uidl keys hold only while the record
	 * has this key (run.c); POP3: NULL, the keys hold for ever */
	char *epoch;
};

/* Writes raw's escaped form (at most 3 * len + 1 bytes with the NUL) into out;
 * true when a byte outside 0x21-0x7e was there. */
bool listing_escape(const char *raw, size_t len, char *out);

/* The same for a log line: a space stays a space. */
void listing_show(const char *raw, size_t len, char *out);

/* One line of the UIDL reply, without its CRLF ("NUM UIDL"; may hold NULs):
 * false when it is malformed or out of order. */
bool listing_add_uidl(struct mailbox_listing *l, const char *line, size_t len);

/* One line of the LIST reply ("NUM SIZE"): the size of that message; false when
 * malformed. A number UIDL did not list is ignored. */
bool listing_add_size(struct mailbox_listing *l, const char *line, size_t len);

void listing_free(struct mailbox_listing *l);

#endif
