/* SPDX-License-Identifier: MIT */
/*
 * redirectd_loop.h — roam-redirectd's event loop: one thread, one epoll set,
 * listening sockets, persistent client connections, and signals.
 *
 * Each connection has fixed buffers (a request's worth in, a few replies
 * out): a client that sends more than a request without reading its replies
 * is simply not read until it does. A malformed or oversized netstring
 * closes that connection only. At the connection cap a new client makes room
 * by closing the connection that has been idle longest, so a flood of idle
 * connections cannot lock Postfix out.
 *
 * SIGTERM and SIGINT end the loop; SIGHUP calls reload (between requests,
 * so a request sees the old table or the new one, never half of each).
 */
#ifndef ROAM_REDIRECTD_LOOP_H
#define ROAM_REDIRECTD_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "socketmap.h"

struct rd_loop;

/* ctx is read on every request; reload may change what it points to */
struct rd_loop *rd_loop_new(const int *listen_fds, size_t nlisten, size_t max_conns,
			    struct socketmap_ctx *ctx, void (*reload)(void *), void *arg,
			    struct roam_error *e);
/* Runs until SIGTERM or SIGINT; false with e on a failure of the loop itself. */
bool rd_loop_run(struct rd_loop *l, struct roam_error *e);
void rd_loop_free(struct rd_loop *l);

#endif
