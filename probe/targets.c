/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "targets.h"

/* what no probe should be sent to: "this" network, multicast, class E, broadcast */
static bool probe_worthy(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) != 0 && (h >> 28) != 0xe && (h >> 28) != 0xf;
}

static bool resolve_name(const char *name, struct in_addr *a, char *why, size_t len)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_RAW };
	struct addrinfo *res = NULL;
	int r = getaddrinfo(name, NULL, &hints, &res);

	if (r != 0) {
		snprintf(why, len, "cannot resolve '%s': %s", name,
			 r == EAI_NONAME || r == EAI_NODATA || r == EAI_ADDRFAMILY
				 ? "no IPv4 address for this name" : gai_strerror(r));
		return false;
	}
	*a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return true;
}

bool probe_target_parse(const char *name, struct in_addr *a, char *why, size_t len)
{
	struct in6_addr a6;

	if (!*name) {
		snprintf(why, len, "empty target");
		return false;
	}
	if (strchr(name, ':') && inet_pton(AF_INET6, name, &a6) == 1) {
		snprintf(why, len, "'%s' is an IPv6 address; roam-probe probes IPv4 only", name);
		return false;
	}
	if (name[strspn(name, "0123456789.")] == '\0') {
		if (!roam_parse_ipv4(name, a, NULL)) {
			snprintf(why, len, "'%s' is not a dotted-quad IPv4 address", name);
			return false;
		}
	} else if (name[0] == '-' || strlen(name) > 253 || !resolve_name(name, a, why, len)) {
		if (name[0] == '-' || strlen(name) > 253)
			snprintf(why, len, "'%.64s' is not a host name", name);
		return false;
	}
	if (!probe_worthy(*a)) {
		snprintf(why, len, "'%s' is not a unicast address", name);
		return false;
	}
	return true;
}

static struct probe_target *sort_base;

static int by_address_then_order(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	uint32_t a = ntohl(sort_base[i].addr.s_addr), b = ntohl(sort_base[j].addr.s_addr);

	if (a != b)
		return a < b ? -1 : 1;
	return (i > j) - (i < j);
}

/* marks every later copy of an address (name = NULL) and tells note */
static bool mark_duplicates(struct probe_target *t, size_t n, probe_target_note *note,
			    void *ctx)
{
	size_t *order = malloc((n + 1) * sizeof(*order));

	if (!order)
		return false;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_base = t;
	qsort(order, n, sizeof(*order), by_address_then_order);
	for (size_t k = 1; k < n; k++) {
		size_t first = order[k - 1], dup = order[k];

		if (t[dup].addr.s_addr != t[first].addr.s_addr)
			continue;
		order[k] = first;	/* the run's first entry stays the reference */
		if (note) {
			char why[128];

			snprintf(why, sizeof(why), "the same address as '%.40s': probed once",
				 t[first].name);
			note(t[dup].name, why, false, ctx);
		}
		t[dup].name = NULL;
	}
	free(order);
	return true;
}

bool probe_targets_resolve(char *const *names, size_t n, struct probe_target **out,
			   size_t *nout, size_t *nbad, probe_target_note *note, void *ctx,
			   struct roam_error *e)
{
	struct probe_target *t = calloc(n + 1, sizeof(*t));
	size_t good = 0, kept = 0;

	*nbad = 0;
	if (!t)
		return roam_error_set(e, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char why[320];

		if (!probe_target_parse(names[i], &t[good].addr, why, sizeof(why))) {
			(*nbad)++;
			if (note)
				note(names[i], why, true, ctx);
			continue;
		}
		t[good++].name = names[i];
	}
	if (!mark_duplicates(t, good, note, ctx)) {
		free(t);
		return roam_error_set(e, "out of memory");
	}
	for (size_t i = 0; i < good; i++)
		if (t[i].name)
			t[kept++] = t[i];
	*out = t;
	*nout = kept;
	return true;
}
