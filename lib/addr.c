/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"

bool roam_parse_ipv4(const char *s, struct in_addr *out, struct roam_error *e)
{
	if (!s || !*s)
		return roam_error_set(e, "empty IPv4 address");
	/* inet_pton(AF_INET) accepts exactly four decimal octets, nothing else */
	if (inet_pton(AF_INET, s, out) != 1)
		return roam_error_set(e, "invalid IPv4 address '%s'", s);
	return true;
}

static bool parse_prefix_len(const char *s, unsigned *len)
{
	unsigned v = 0;

	if (!*s || strlen(s) > 2)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*len = v;
	return v <= 32;
}

bool roam_parse_prefix(const char *s, struct roam_prefix *out, struct roam_error *e)
{
	char buf[INET_ADDRSTRLEN];
	const char *slash;
	size_t n;
	unsigned len = 32;

	if (!s || !*s)
		return roam_error_set(e, "empty IPv4 prefix");
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return roam_error_set(e, "invalid IPv4 prefix '%s'", s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &out->addr) != 1)
		return roam_error_set(e, "invalid IPv4 prefix '%s': bad address", s);
	if (slash && !parse_prefix_len(slash + 1, &len))
		return roam_error_set(e, "invalid IPv4 prefix '%s': length must be 0..32", s);
	out->len = len;
	if (out->addr.s_addr & ~htonl(len ? ~0u << (32 - len) : 0))
		return roam_error_set(e, "invalid IPv4 prefix '%s': host bits set", s);
	return true;
}

bool roam_prefix_contains(const struct roam_prefix *p, struct in_addr a)
{
	uint32_t mask = htonl(p->len ? ~0u << (32 - p->len) : 0);

	return (a.s_addr & mask) == p->addr.s_addr;
}

bool roam_ipv4_is_unicast(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	unsigned first = h >> 24;

	return first != 0 && first != 127 && first < 224;
}
