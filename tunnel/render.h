/* SPDX-License-Identifier: MIT */
/*
 * render.h — plan objects as the `ip` commands a user would type (-n, -v),
 * and as one-line descriptions (status). Pure; output goes into a buffer.
 */
#ifndef ROAM_TUNNEL_RENDER_H
#define ROAM_TUNNEL_RENDER_H

#include <netinet/in.h>
#include <stddef.h>

#include "plan.h"

#define TUN_RENDER_MAX 512

/* an appending printf that never overruns and never fails (link kinds use it) */
struct tun_out {
	char *buf;
	size_t len, used;
};
void tun_put(struct tun_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* dotted quad into buf (INET_ADDRSTRLEN) */
const char *tun_ip(struct in_addr a, char *buf);

/* the command(s) that create o; several commands are separated by '\n' */
void tun_render_add(const struct tun_obj *o, char *buf, size_t len);
/* the command(s) that turn have into want in place */
void tun_render_change(const struct tun_obj *want, const struct tun_obj *have, char *buf,
		       size_t len);
/* the command that removes o (sysctl: sets it back to o's value) */
void tun_render_del(const struct tun_obj *o, char *buf, size_t len);
/* "route 198.51.100.180/32 dev tunl1 table main" */
void tun_describe(const struct tun_obj *o, char *buf, size_t len);

#endif
