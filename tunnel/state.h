/* SPDX-License-Identifier: MIT */
/*
 * state.h — what roam-tunnel must remember between commands, in
 * $ROAM_RUNDIR/tunnel-NAME.state (default /run/roam; gone after a reboot,
 * like the kernel objects it describes):
 *   forward_was 0            ip_forward before `up` turned it on
 *   remote 203.0.113.10      the gateway's last registered remote
 *   register_pending 1       the mobile's last registration did not get through
 *   resolved 203.0.113.10    remote = NAME: the address the last up or roam used
 *   created ip route del …   one line per object `up` created: its undo
 * `down` removes only what is listed as created, so objects that were there
 * before `up` stay.
 */
#ifndef ROAM_TUNNEL_STATE_H
#define ROAM_TUNNEL_STATE_H

#include "plan.h"
#include "render.h"

struct tunnel_state {
	int forward_was;	/* -1: roam did not change ip_forward */
	struct in_addr remote;	/* 0: no registration */
	bool register_pending;	/* mobile: roam registers again even when nothing changed */
	struct in_addr resolved;	/* remote = NAME: its address at the last change; 0: none */
	char created[TUN_MAX_OBJS][TUN_RENDER_MAX];
	size_t ncreated;
	bool exists;		/* a state file was read */
};

/* A missing file is an empty state, not an error. */
bool tunnel_state_load(const char *name, struct tunnel_state *st, struct roam_error *e);
bool tunnel_state_save(const char *name, const struct tunnel_state *st, struct roam_error *e);
bool tunnel_state_remove(const char *name, struct roam_error *e);
bool tunnel_state_path(const char *name, char *buf, size_t len, struct roam_error *e);

/* Serializes roam-tunnel runs for one tunnel (a NetworkManager hook and cron
 * may fire together): an exclusive flock on $ROAM_RUNDIR/tunnel-NAME.lock,
 * held until the returned descriptor is closed; -1 with e set on failure. */
int tunnel_state_lock(const char *name, struct roam_error *e);

/* the key an object is remembered by: its undo command */
void tunnel_state_key(const struct tun_obj *o, char *buf, size_t len);
bool tunnel_state_was_created(const struct tunnel_state *st, const struct tun_obj *o);
void tunnel_state_mark_created(struct tunnel_state *st, const struct tun_obj *o);
void tunnel_state_forget(struct tunnel_state *st, const struct tun_obj *o);

/* parse/format, for unit tests */
bool tunnel_state_parse(const char *text, struct tunnel_state *st, struct roam_error *e);
size_t tunnel_state_format(const struct tunnel_state *st, char *buf, size_t len);

#endif
