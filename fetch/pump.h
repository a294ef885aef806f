/* SPDX-License-Identifier: MIT */
/*
 * pump.h — bytes between local stream sockets and streams to the POP3 server
 * (stream.h: ssh channels, or ssh_command's pipes), both ways, in one thread
 * and constant memory (a fixed buffer per direction per link; the ssh window
 * or the pipe bounds what the transport queues).
 *
 * Used by the fetch run (one link: libcurl's AF_UNIX connection) and by
 * --forward (one link per accepted TCP connection). Only the pump's thread
 * may touch the dialer and its streams while the pump runs.
 */
#ifndef ROAM_FETCH_PUMP_H
#define ROAM_FETCH_PUMP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "stream.h"

struct pump;

struct pump *pump_new(struct dialer *d);
/* Frees every link (closing its fd and channel) and the pump; NULL is allowed. */
void pump_free(struct pump *p);

/* Takes over fd (made non-blocking) and s. False + e when out of memory
 * (fd and s are then closed too). */
bool pump_add(struct pump *p, int fd, struct stream *s, struct roam_error *e);

/* --forward: a link that moves no byte for this many seconds is closed (0,
 * the default: never). */
void pump_set_idle(struct pump *p, int seconds);

/* Links still open (a link ends when both sides have closed, or on an error
 * of its own). */
size_t pump_links(const struct pump *p);

/* Moves what can be moved, lets the dialer tick (keepalives, reaping), then
 * waits for at most timeout_ms for the sockets or for the extra fds (their
 * revents are set). False + e when the transport has failed: every link is
 * then unusable. */
bool pump_step(struct pump *p, struct pollfd *extra, size_t nextra, int timeout_ms,
	       struct roam_error *e);

#endif
