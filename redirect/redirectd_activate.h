/* SPDX-License-Identifier: MIT */
/*
 * redirectd_activate.h — systemd socket activation for roam-redirectd,
 * sd_listen_fds(3)'s protocol without libsystemd: when LISTEN_PID is our pid,
 * LISTEN_FDS = N says that descriptors 3 .. 3+N-1 are our listening sockets
 * (contrib/roam-redirectd.socket: the unix socket with its mode and group,
 * optionally a TCP one). Each must be a listening stream socket, unix or
 * IPv4/IPv6, and N at most 2; anything else is refused, not guessed at. The
 * variables are removed from the environment either way. systemd owns such
 * sockets: they are never unlinked here, and [redirect] socket and listen
 * are not used.
 */
#ifndef ROAM_REDIRECTD_ACTIVATE_H
#define ROAM_REDIRECTD_ACTIVATE_H

#include "error.h"
#include "redirectd_listen.h"

/* 1: ls holds systemd's sockets; 0: not socket-activated (ls untouched);
 * -1: activated but unusable, e says why. */
int rd_activated(struct rd_listeners *ls, struct roam_error *e);

#endif
