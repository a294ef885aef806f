/* SPDX-License-Identifier: MIT */
/*
 * redirectd_listen.h — roam-redirectd's listening sockets.
 *
 *   socket = PATH        a unix socket, mode 0660, group socket_group (so
 *                        that Postfix's processes may connect); its directory
 *                        is created 0755 when missing and must be trusted
 *                        (lib/trust.h). A stale socket nobody listens on is
 *                        replaced; a live one means another daemon: refused.
 *   listen = ADDR:PORT   optionally TCP too. socketmap is not authenticated:
 *                        loopback or a private LAN only (documented).
 */
#ifndef ROAM_REDIRECTD_LISTEN_H
#define ROAM_REDIRECTD_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>

#include "config.h"
#include "error.h"

struct rd_listeners {
	int fd[2];
	size_t n;
	char where[2][128];		/* for the log */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* "" if not ours */
	bool usage;			/* the failure was the configuration's */
};

bool rd_listen(struct rd_listeners *ls, const struct roam_conf *c, struct roam_error *e);
bool rd_listen_usage_error(const struct rd_listeners *ls);
/* closes them and removes the socket file */
void rd_listen_close(struct rd_listeners *ls);

#endif
