/* SPDX-License-Identifier: MIT */
/*
 * resolve.h — `remote` as a host name (a home with a dynamic address is
 * reached by its DNS name). The name is checked when the config is read and
 * resolved by glibc's name service (nsswitch.conf: /etc/hosts, DNS, resolved)
 * only when a command needs the address, so `down` works offline.
 */
#ifndef ROAM_TUNNEL_RESOLVE_H
#define ROAM_TUNNEL_RESOLVE_H

#include <netinet/in.h>
#include <stdbool.h>

#include "error.h"

/* a host name as RFC 1123 has it: labels of letters, digits and '-', at most
 * 253 characters, the last label not all digits (that would be an address) */
bool tun_host_name_ok(const char *s);

/* the first IPv4 address of NAME in the resolver's order; a name that has
 * none, or one that is not unicast, is an error naming NAME */
bool tun_resolve_ipv4(const char *name, struct in_addr *out, struct roam_error *e);

#endif
