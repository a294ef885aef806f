/* SPDX-License-Identifier: MIT */
/*
 * transport.h — how libcurl's POP3 reaches the ssh channel without a TCP port.
 *
 * libcurl 7.88 ignores CURL_SOCKOPT_ALREADY_CONNECTED (fixed in 8.0), so it
 * cannot be handed a socketpair. Instead a thread listens on an AF_UNIX socket
 * in a fresh 0700 directory (only this user can connect), libcurl connects there
 * (CURLOPT_UNIX_SOCKET_PATH), and the thread pumps that one connection to an
 * already open direct-tcpip channel. The socket and its directory are removed
 * as soon as the connection is accepted; a second connection is impossible, so
 * the run has exactly one POP3 session.
 */
#ifndef ROAM_FETCH_TRANSPORT_H
#define ROAM_FETCH_TRANSPORT_H

#include <stdbool.h>

#include "error.h"
#include "ssh.h"

struct transport;

/* Takes over ch; the session belongs to the thread until transport_stop. */
struct transport *transport_start(struct ssh_conn *c, LIBSSH2_CHANNEL *ch, struct roam_error *e);

/* The socket libcurl must connect to. */
const char *transport_path(const struct transport *t);

/* True once the ssh side has failed (libcurl then sees its connection close). */
bool transport_failed(struct transport *t);

/* Ends the thread (after libcurl has closed its connection, the channel
 * finishes by itself), frees t and returns the session to blocking mode. False
 * + e when the ssh transport failed during the run. */
bool transport_stop(struct transport *t, struct roam_error *e);

#endif
