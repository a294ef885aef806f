/* SPDX-License-Identifier: MIT */
/* link.c — the table of link kinds (link.h). */
#include <string.h>
#include <strings.h>

#include "link.h"

const struct link_kind *const tun_link_kinds[] = { &tun_link_ipip, &tun_link_wireguard, NULL };

const struct link_kind *tun_link_kind_find(const char *name)
{
	for (size_t i = 0; tun_link_kinds[i]; i++)
		if (!strcasecmp(tun_link_kinds[i]->name, name))
			return tun_link_kinds[i];
	return NULL;
}

const struct link_kind *tun_link_kind(const struct tun_link *l)
{
	return l->kind ? l->kind : &tun_link_ipip;
}
