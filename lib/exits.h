/* SPDX-License-Identifier: MIT */
/*
 * exits.h — every exit status of every roam tool, in one place.
 *
 * Each tool speaks the language of the tool its users' scripts already know:
 * roam-probe follows fping, roam-fetch follows fetchmail (so cron wrappers keep
 * working), roam-redirect always exits 0 (procmail ignores a backtick's status
 * and must never be handed an error), roam-tunnel has its own. The man pages
 * list these numbers; tests check each one.
 */
#ifndef ROAM_EXITS_H
#define ROAM_EXITS_H

/* roam-probe: fping's codes */
enum {
	PROBE_EXIT_ALIVE = 0,		/* every target alive */
	PROBE_EXIT_UNREACHABLE = 1,	/* at least one target unreachable */
	PROBE_EXIT_BADADDR = 2,		/* a bad address or unresolvable name */
	PROBE_EXIT_USAGE = 3,		/* bad arguments or configuration */
	PROBE_EXIT_SYSTEM = 4,		/* system error (sockets, state dir, memory) */
};

/* roam-redirect: always 0, whatever happened; the output is the contract */
enum { REDIRECT_EXIT = 0 };
/* roam-redirect --exit-status (a Sieve execute test): alive or not, any trouble is 1 */
enum { REDIRECT_EXIT_ALIVE = 0, REDIRECT_EXIT_NOT_ALIVE = 1 };

/* roam-redirectd: a daemon; it only ends on SIGTERM or when it cannot start */
enum {
	REDIRECTD_EXIT_OK = 0,		/* SIGTERM: stopped cleanly */
	REDIRECTD_EXIT_USAGE = 3,	/* bad arguments, configuration or recipients table */
	REDIRECTD_EXIT_SYSTEM = 4,	/* cannot listen (socket, address in use), memory */
};

/* roam-fetch: fetchmail's codes */
enum {
	FETCH_EXIT_MAIL = 0,		/* one or more messages retrieved */
	FETCH_EXIT_NOMAIL = 1,		/* no mail */
	FETCH_EXIT_SOCKET = 2,		/* connection or ssh transport failed */
	FETCH_EXIT_AUTH = 3,		/* authentication failed */
	FETCH_EXIT_PROTOCOL = 4,	/* POP3 protocol error */
	FETCH_EXIT_SYNTAX = 5,		/* bad arguments or configuration */
	FETCH_EXIT_IOERR = 6,		/* file permissions or local I/O */
	FETCH_EXIT_ERROR = 7,		/* server error or timeout */
	FETCH_EXIT_LOCKBUSY = 8,	/* another instance holds the account lock */
	FETCH_EXIT_DELIVERY = 10,	/* delivery (MDA, disk) failed; mail stays on the server */
};

/* roam-tunnel */
enum {
	TUNNEL_EXIT_OK = 0,		/* done; for status: everything in place */
	TUNNEL_EXIT_PARTIAL = 1,	/* status: some objects missing or different */
	TUNNEL_EXIT_DOWN = 2,		/* status: nothing in place */
	TUNNEL_EXIT_USAGE = 3,		/* bad arguments or configuration */
	TUNNEL_EXIT_SYSTEM = 4,		/* netlink or system error (rolled back) */
	TUNNEL_EXIT_REFUSED = 5,	/* register: the client address was refused */
};

#endif
