/* SPDX-License-Identifier: MIT */
/* mailbox.c — the protocol table and the one fault → exit code mapper (mailbox.h). */
#include <string.h>

#include "exits.h"
#include "mailbox.h"

const struct mailbox_ops *const mailbox_protocols[] = { &mailbox_pop3, &mailbox_imap, NULL };

const struct mailbox_ops *mailbox_find(const char *name)
{
	for (size_t i = 0; mailbox_protocols[i]; i++)
		if (!strcmp(mailbox_protocols[i]->name, name))
			return mailbox_protocols[i];
	return NULL;
}

int mailbox_exit_code(enum mailbox_fault f)
{
	switch (f) {
	case MAILBOX_FAULT_SOCKET:
		return FETCH_EXIT_SOCKET;
	case MAILBOX_FAULT_AUTH:
		return FETCH_EXIT_AUTH;
	case MAILBOX_FAULT_REFUSED:
	case MAILBOX_FAULT_TIMEOUT:
	case MAILBOX_FAULT_GONE:	/* run.c skips it: never an exit by itself */
		return FETCH_EXIT_ERROR;	/* fetchmail: server error or timeout */
	case MAILBOX_FAULT_IN_USE:
		return FETCH_EXIT_LOCKBUSY;
	case MAILBOX_FAULT_DELIVERY:
		return FETCH_EXIT_DELIVERY;
	case MAILBOX_FAULT_LOCAL:
		return FETCH_EXIT_IOERR;
	case MAILBOX_FAULT_PROTOCOL:
		break;
	}
	return FETCH_EXIT_PROTOCOL;
}
