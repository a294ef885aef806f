/* SPDX-License-Identifier: MIT */
/*
 * pump.h — bytes between local stream sockets and ssh channels, both ways, in
 * one thread and constant memory (a fixed buffer per direction per link; the
 * ssh window bounds what libssh2 queues).
 *
 * Used by the fetch run (one link: libcurl's AF_UNIX connection) and by
 * --forward (one link per accepted TCP connection). The session is switched to
 * non-blocking mode while links exist; only the pump's thread may touch it then.
 */
#ifndef ROAM_FETCH_PUMP_H
#define ROAM_FETCH_PUMP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ssh.h"

struct pump;

struct pump *pump_new(struct ssh_conn *c);
/* Frees every link (closing its fd and channel) and the pump; NULL is allowed. */
void pump_free(struct pump *p);

/* Takes over fd (made non-blocking) and ch. False + e when out of memory
 * (fd and ch are then closed too). */
bool pump_add(struct pump *p, int fd, LIBSSH2_CHANNEL *ch, struct roam_error *e);

/* --forward: a link that moves no byte for this many seconds is closed (0,
 * the default: never). */
void pump_set_idle(struct pump *p, int seconds);

/* Links still open (a link ends when both sides have closed, or on an error
 * of its own). */
size_t pump_links(const struct pump *p);

/* Moves what can be moved, sends keepalives, then waits for at most
 * timeout_ms for the sockets or for the extra fds (their revents are set).
 * False + e when the ssh transport has failed: every link is then unusable. */
bool pump_step(struct pump *p, struct pollfd *extra, size_t nextra, int timeout_ms,
	       struct roam_error *e);

#endif
