/* SPDX-License-Identifier: MIT */
/*
 * ssh.h — one libssh2 session to the ssh server: connect with a timeout, check
 * the host key before anything else is sent, authenticate, open direct-tcpip
 * channels to the POP3 server.
 *
 * Authentication tries ssh-agent, then the identity file (or ~/.ssh/id_ed25519
 * and ~/.ssh/id_ecdsa). RSA user keys fail against OpenSSH >= 8.8 with libssh2
 * 1.10 (it signs with SHA-1 only): use ed25519 or ecdsa keys.
 */
#ifndef ROAM_FETCH_SSH_H
#define ROAM_FETCH_SSH_H

#include <libssh2.h>
#include <stdbool.h>

#include "error.h"

struct ssh_opts {
	const char *host;
	int port;
	const char *user;
	const char *identity;		/* NULL: agent, then the default key files */
	const char *known_hosts;
	bool compress;
	int timeout;			/* seconds, for connect and every blocking step */
};

struct ssh_conn {
	int fd;				/* the TCP socket to the ssh server */
	LIBSSH2_SESSION *session;
	int keepalive;			/* seconds between keepalives */
};

/* libssh2_init/exit, once per process */
bool ssh_global_init(struct roam_error *e);
void ssh_global_exit(void);

/* Connects, checks the host key, authenticates. NULL with e and *code a
 * FETCH_EXIT_*: SOCKET (connect, handshake, host key refused) or AUTH;
 * *transient is true when trying again later may help (network, handshake),
 * false for a refused host key or authentication. */
struct ssh_conn *ssh_open(const struct ssh_opts *o, int *code, bool *transient,
			  struct roam_error *e);

/* A direct-tcpip channel to host:port as the ssh server sees it; the session
 * must be in blocking mode. NULL + e when the server refuses or cannot connect. */
LIBSSH2_CHANNEL *ssh_channel_open(struct ssh_conn *c, const char *host, int port,
				  struct roam_error *e);

/* The session's last error as text ("Channel open failure (connect failed)"). */
const char *ssh_last_error(struct ssh_conn *c);

/* Sends a disconnect when the transport still works, frees everything. */
void ssh_close(struct ssh_conn *c, const char *why);

#endif
