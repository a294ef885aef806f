/* SPDX-License-Identifier: MIT */
/*
 * register_guard.h — what the gateway checks before a key may move the
 * tunnel: not into itself, not faster than once a second, and always with
 * the key named in the log.
 */
#ifndef ROAM_TUNNEL_REGISTER_GUARD_H
#define ROAM_TUNNEL_REGISTER_GUARD_H

#include "nl.h"
#include "plan.h"

/* Refuses an address that is the tunnel's own (inner ends, the exported
 * address), one of this host's, inside a subnet of lan_dev, or link-local:
 * a registration that travelled through the tunnel points it into itself,
 * and the tunnel stays dead. */
bool tunnel_register_sane(struct tun_nl *nl, const struct tunnel_cfg *cfg, struct in_addr client,
			  struct roam_error *e);

/* "key SHA256:… (ssh-ed25519)" from sshd's ExposeAuthInfo file
 * ($SSH_USER_AUTH), else "an unnamed key (no ExposeAuthInfo)". */
void tunnel_register_who(char *buf, size_t len);

/* Changes at most once a second (REGISTER_MIN_GAP_MS): sleeps until that
 * long has passed since the state file last changed. */
#define REGISTER_MIN_GAP_MS 1000
void tunnel_register_pace(const char *state_path);

#endif
