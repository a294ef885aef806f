/* SPDX-License-Identifier: MIT */
/*
 * forward.h — roam-fetch --forward [ADDR:]PORT | unix:PATH: the managed
 * `ssh -L` for other POP3 clients (fetchmail, mpop, a mail reader).
 *
 * One ssh session; every connection accepted on ADDR:PORT (127.0.0.1 unless
 * an address is given) or on the unix socket PATH goes to
 * server_host:server_port through its own direct-tcpip channel. Only the user
 * running roam-fetch may use it: a unix socket lives in a directory only they
 * can enter (created 0700 when missing, refused when others can enter it),
 * and a connection whose peer socket belongs to another uid (peer.h), or to
 * no local socket at all, is closed at once. A connection that moves no byte
 * for forward_idle_timeout seconds is closed. When ssh drops, the listener stays and new connections
 * wait in its backlog while we reconnect with backoff (1 s doubling to 60 s);
 * a refused host key or authentication ends the run instead. SIGTERM, SIGINT
 * and SIGHUP end it cleanly with status 0.
 */
#ifndef ROAM_FETCH_FORWARD_H
#define ROAM_FETCH_FORWARD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/un.h>

#include "error.h"
#include "settings.h"

struct forward_spec {
	bool is_unix;
	struct sockaddr_in in;		/* TCP */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* unix */
};

/* "[ADDR:]PORT" with an IPv4 ADDR, port 1–65535; or "unix:PATH". */
bool forward_parse(const char *spec, struct forward_spec *out, struct roam_error *e);

struct forward_listener {
	int fd;
	int dirfd;		/* unix: the directory, checked (forward_listen.c) */
	char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;		/* unix: our socket file, removed at the end */
	bool bound;
};

/* 0, or the exit code with e: FETCH_EXIT_SOCKET (cannot listen, in use),
 * FETCH_EXIT_IOERR (a directory others can enter, or not ours). */
int forward_listen(struct forward_listener *l, const struct forward_spec *spec,
		   struct roam_error *e);
void forward_unlisten(struct forward_listener *l);

/* Runs until a signal (FETCH_EXIT_MAIL, i.e. 0) or a permanent error (its code). */
int forward_main(struct settings *s, struct roam_error *e);

#endif
