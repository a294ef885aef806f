/* SPDX-License-Identifier: MIT */
/* resolve.c — `remote = NAME` to an IPv4 address, through glibc's name service. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "resolve.h"

static bool label_ok(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

bool tun_host_name_ok(const char *s)
{
	size_t total = strlen(s), len = 0;
	bool digits = true;	/* the last label so far is all digits */

	if (total == 0 || total > 253)
		return false;
	for (const char *p = s;; p += len + 1) {
		len = strcspn(p, ".");
		if (!label_ok(p, len))
			return p[len] == '\0' && len == 0 && p != s && !digits;	/* "name." */
		digits = strspn(p, "0123456789") == len;
		if (p[len] == '\0')
			return !digits;
	}
}

bool tun_resolve_ipv4(const char *name, struct in_addr *out, struct roam_error *e)
{
	/* UDP: one answer per address, not one per socket type */
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *res;
	char a[INET_ADDRSTRLEN];
	int rc = getaddrinfo(name, NULL, &hints, &res);

	if (rc)
		return roam_error_set(e, "cannot resolve %s: %s", name,
				      rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	*out = ((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	if (!roam_ipv4_is_unicast(*out))
		return roam_error_set(e, "%s resolves to %s, not a unicast address", name,
				      inet_ntop(AF_INET, out, a, sizeof(a)));
	return true;
}
