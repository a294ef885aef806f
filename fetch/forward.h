/* SPDX-License-Identifier: MIT */
/*
 * forward.h — roam-fetch --forward [ADDR:]PORT: the managed `ssh -L` for
 * other POP3 clients (fetchmail, mpop, a mail reader).
 *
 * One ssh session; every connection accepted on ADDR:PORT (127.0.0.1 unless
 * an address is given) goes to pop3_host:pop3_port through its own
 * direct-tcpip channel. When ssh drops, the listener stays and new connections
 * wait in its backlog while we reconnect with backoff (1 s doubling to 60 s);
 * a refused host key or authentication ends the run instead. SIGTERM, SIGINT
 * and SIGHUP end it cleanly with status 0.
 */
#ifndef ROAM_FETCH_FORWARD_H
#define ROAM_FETCH_FORWARD_H

#include <netinet/in.h>
#include <stdbool.h>

#include "error.h"
#include "settings.h"

/* "[ADDR:]PORT" with an IPv4 ADDR; port 1–65535. */
bool forward_parse(const char *spec, struct sockaddr_in *out, struct roam_error *e);

/* Runs until a signal (FETCH_EXIT_MAIL, i.e. 0) or a permanent error (its code). */
int forward_main(struct settings *s, struct roam_error *e);

#endif
