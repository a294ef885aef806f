/* SPDX-License-Identifier: MIT */
/*
 * addr.h — IPv4 addresses and prefixes, parsed strictly (dotted quad only:
 * inet_aton's "1.2.3" and "0x7f.1" shorthands are errors, not surprises).
 */
#ifndef ROAM_ADDR_H
#define ROAM_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>

#include "error.h"

struct roam_prefix {
	struct in_addr addr;	/* network byte order; host bits are zero */
	unsigned len;		/* 0..32 */
};

bool roam_parse_ipv4(const char *s, struct in_addr *out, struct roam_error *e);
/* "198.51.100.0/24"; a bare address means /32; host bits set is an error */
bool roam_parse_prefix(const char *s, struct roam_prefix *out, struct roam_error *e);
bool roam_prefix_contains(const struct roam_prefix *p, struct in_addr a);
/* unicast: not 0/8, 127/8, 224/4 (multicast), 240/4 or the broadcast address */
bool roam_ipv4_is_unicast(struct in_addr a);

#endif
