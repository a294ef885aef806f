/* SPDX-License-Identifier: MIT */
/* wg.h — the wireguard kind's helpers: keys in base64, the kernel half (wg_genl.c). */
#ifndef ROAM_TUNNEL_WG_H
#define ROAM_TUNNEL_WG_H

#include "link.h"

#define TUN_WG_KEY_B64 45	/* 44 characters and the NUL */

void tun_wg_key_to_base64(const uint8_t key[TUN_WG_KEY_LEN], char out[TUN_WG_KEY_B64]);
bool tun_wg_key_from_base64(const char *s, uint8_t key[TUN_WG_KEY_LEN]);

/* link_kind ops: the rtnetlink link, configured over generic netlink */
int tun_wg_add(struct tun_nl *nl, const struct tun_link *w);
int tun_wg_change(struct tun_nl *nl, const struct tun_link *w, struct rtnl_link *orig);
int tun_wg_announce(struct tun_nl *nl, const struct tun_link *w, char *cmd, size_t len);
bool tun_wg_read(struct tun_nl *nl, struct rtnl_link *l, struct tun_link *out,
		 struct roam_error *e);

#endif
