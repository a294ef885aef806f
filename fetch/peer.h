/* SPDX-License-Identifier: MIT */
/*
 * peer.h — which local user is at the other end of an accepted connection.
 *
 * A unix socket says it itself (SO_PEERCRED). For TCP the kernel knows the
 * owner of the peer's socket when that socket is local: sock_diag
 * (NETLINK_SOCK_DIAG) looks it up by its exact address and port pair, as
 * `ss -e` shows it. A peer on another host has no local socket: not found.
 */
#ifndef ROAM_FETCH_PEER_H
#define ROAM_FETCH_PEER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* The uid owning the peer's socket of connected fd (AF_UNIX or AF_INET);
 * false + e when it cannot be known (then the peer must be refused). */
bool peer_uid(int fd, uid_t *uid, struct roam_error *e);

#endif
