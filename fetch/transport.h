/* SPDX-License-Identifier: MIT */
/*
 * transport.h — how libcurl's POP3 reaches the stream to the POP3 server (an
 * ssh channel, or ssh_command's pipes: stream.h) without a TCP port.
 *
 * libcurl 7.88 ignores CURL_SOCKOPT_ALREADY_CONNECTED (fixed in 8.0), so it
 * cannot be handed a socketpair. Instead a thread listens on an AF_UNIX socket
 * in a fresh 0700 directory (only this user can connect), libcurl connects there
 * (CURLOPT_UNIX_SOCKET_PATH), and the thread pumps that one connection to an
 * already open stream. The socket and its directory are removed
 * as soon as the connection is accepted; a second connection is impossible, so
 * the run has exactly one POP3 session.
 */
#ifndef ROAM_FETCH_TRANSPORT_H
#define ROAM_FETCH_TRANSPORT_H

#include <stdbool.h>

#include "error.h"
#include "stream.h"

struct transport;

/* Takes over s; the dialer belongs to the thread until transport_stop. */
struct transport *transport_start(struct dialer *d, struct stream *s, struct roam_error *e);

/* The socket libcurl must connect to. */
const char *transport_path(const struct transport *t);

/* Ends the thread (after libcurl has closed its connection, the stream
 * finishes by itself), waits for the dialer's verdict on it (ssh_command: the
 * child reaped) and frees t. 0, or the FETCH_EXIT_* of a transport that
 * failed during the run, with e: SOCKET, or AUTH when ssh_command's ssh was
 * refused. NULL t is allowed. */
int transport_stop(struct transport *t, struct roam_error *e);

#endif
