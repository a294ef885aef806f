/* SPDX-License-Identifier: MIT */
/* cfg.h — the [tunnel] section as a checked struct tunnel_cfg. */
#ifndef ROAM_TUNNEL_CFG_H
#define ROAM_TUNNEL_CFG_H

#include "config.h"
#include "plan.h"

extern const struct roam_section roam_tunnel_keys;

/* Checks what the key table cannot: keys each role needs, keys that make no
 * sense for the role, ports syntax, names that fit IFNAMSIZ. Errors name
 * FILE:LINE of the key (or the file when a required key is missing). */
bool tunnel_cfg_from_conf(const struct roam_conf *conf, struct tunnel_cfg *cfg,
			  struct roam_error *e);

/* "FILE:LINE: WHAT 'KEY' in [tunnel]" (the file alone when KEY is not set); false */
bool tunnel_cfg_fail(const struct roam_conf *conf, const char *key, const char *what,
		     struct roam_error *e);

/* "tcp/25" → IPPROTO_TCP, 25 */
bool tunnel_parse_port(const char *s, struct tun_port *out);

#endif
