/* SPDX-License-Identifier: MIT */
/*
 * icmp.c — ICMP echo through liboping (SOCK_RAW: root or cap_net_raw).
 *
 * liboping's timeout is one deadline for all hosts of a ping_send(), so the
 * k probes are k calls, each lasting until the next probe is due (the spread
 * of roam_probe_send_at) or until every host answered. After a failed
 * ping_host_add() liboping 1.10 may abort in ping_send(), so any failure there
 * destroys the object and hands the pass to the next method. liboping ignores
 * a host added twice; targets that repeat share one host's answer.
 *
 * liboping matches a reply by ICMP identifier and sequence only, not by its
 * source, and draws each host's identifier at random (16 bits: 1000 hosts
 * held 5 shared ones here), so a silent host whose request is out when its
 * twin's answer arrives could take that answer. So
 * hosts whose identifier is taken are removed and added again (a new draw)
 * until every identifier is unique. Its host list is linear (adding n hosts
 * costs n²/2 string comparisons: 10 000 hosts took 3.9 s here), so above
 * PROBE_ICMP_MAX targets the method declines and auto goes on to dgram or
 * tcp, which scale; the time spent adding counts against the deadline.
 *
 * The raw socket is opened once, by probe_icmp_open() at start, and kept for
 * the process's life, so that roam-probe can drop CAP_NET_RAW before it
 * reads a config, resolves a name or enters --watch (as iputils ping does):
 * liboping 1.10 opens it in the first ping_host_add() and keeps it on the
 * object when hosts are removed, so a pass only swaps the hosts. A failure
 * that makes the object unsafe to reuse (see above) loses the method for the
 * rest of the run: auto goes on to dgram or tcp.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <oping.h>

#include "icmp.h"

enum { PROBE_ICMP_MAX = 1024 };

struct icmp_pass {
	struct roam_probe_target *t;
	size_t n;
	size_t *order;		/* target indices sorted by address */
	size_t pending;
};

static struct roam_probe_target *sort_base;

static int by_address(const void *a, const void *b)
{
	uint32_t x = ntohl(sort_base[*(const size_t *)a].addr.s_addr);
	uint32_t y = ntohl(sort_base[*(const size_t *)b].addr.s_addr);

	return (x > y) - (x < y);
}

/* the position in order[] of the first target with address a, or n */
static size_t find_first(const struct icmp_pass *p, struct in_addr a)
{
	size_t lo = 0, hi = p->n;
	uint32_t want = ntohl(a.s_addr);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ntohl(p->t[p->order[mid]].addr.s_addr) < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n && p->t[p->order[lo]].addr.s_addr == a.s_addr ? lo : p->n;
}

/* records an answer for every target sharing the address at order[pos] */
static void take_answer(struct icmp_pass *p, size_t pos, double ms)
{
	uint32_t us = ms * 1000.0 > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)(ms * 1000.0);
	in_addr_t a = p->t[p->order[pos]].addr.s_addr;

	for (; pos < p->n && p->t[p->order[pos]].addr.s_addr == a; pos++) {
		struct roam_probe_target *t = &p->t[p->order[pos]];

		if (!t->alive) {
			t->alive = true;
			t->rtt_us = us;
			p->pending--;
		} else if (us < t->rtt_us) {
			t->rtt_us = us;
		}
	}
}

/* adds every distinct address; false when liboping refused one (no raw socket) */
static bool add_hosts(pingobj_t *obj, struct icmp_pass *p, struct roam_error *e)
{
	for (size_t pos = 0; pos < p->n; pos++) {
		char s[INET_ADDRSTRLEN];

		if (pos > 0 && p->t[p->order[pos]].addr.s_addr == p->t[p->order[pos - 1]].addr.s_addr)
			continue;
		inet_ntop(AF_INET, &p->t[p->order[pos]].addr, s, sizeof(s));
		if (ping_host_add(obj, s) != 0) {
			const char *err = ping_get_error(obj);

			/* liboping resolves with AI_ADDRCONFIG, which fails for every
			 * IPv4 address while the host has only loopback ones */
			return roam_error_set(e, "liboping cannot add %s: %s%s", s, err,
					      strstr(err, "getaddrinfo") ? " (liboping needs a "
					      "non-loopback IPv4 address on this host)" : "");
		}
	}
	return true;
}

struct host_ident {
	uint16_t ident;
	char addr[INET6_ADDRSTRLEN];
};

static int by_ident(const void *a, const void *b)
{
	const struct host_ident *x = a, *y = b;

	return (x->ident > y->ident) - (x->ident < y->ident);
}

/* how many hosts shared an identifier and were drawn again; -1 on error */
static long redraw_shared_idents(pingobj_t *obj, struct host_ident *h, size_t cap)
{
	size_t n = 0;
	long redrawn = 0;

	for (pingobj_iter_t *it = ping_iterator_get(obj); it && n < cap; it = ping_iterator_next(it)) {
		size_t len = sizeof(h[n].ident), alen = sizeof(h[n].addr);

		if (ping_iterator_get_info(it, PING_INFO_IDENT, &h[n].ident, &len) == 0 &&
		    ping_iterator_get_info(it, PING_INFO_ADDRESS, h[n].addr, &alen) == 0)
			n++;
	}
	qsort(h, n, sizeof(*h), by_ident);
	for (size_t i = 1; i < n; i++) {
		if (h[i].ident != h[i - 1].ident)
			continue;
		if (ping_host_remove(obj, h[i].addr) != 0 || ping_host_add(obj, h[i].addr) != 0)
			return -1;
		redrawn++;
	}
	return redrawn;
}

static bool unique_idents(pingobj_t *obj, size_t n, struct roam_error *e)
{
	struct host_ident *h = malloc((n + 1) * sizeof(*h));
	long left = 1;

	if (!h)
		return roam_error_set(e, "out of memory");
	for (int round = 0; round < 32 && left > 0; round++)
		left = redraw_shared_idents(obj, h, n);
	free(h);
	if (left != 0)
		return roam_error_set(e, "liboping: cannot give every host its own ICMP identifier: %s",
				      ping_get_error(obj));
	return true;
}

/* ties each liboping host to its first target through the host's context */
static void bind_contexts(pingobj_t *obj, struct icmp_pass *p)
{
	for (pingobj_iter_t *it = ping_iterator_get(obj); it; it = ping_iterator_next(it)) {
		char s[INET6_ADDRSTRLEN];
		size_t len = sizeof(s);
		struct in_addr a;
		size_t pos;

		ping_iterator_set_context(it, NULL);
		if (ping_iterator_get_info(it, PING_INFO_ADDRESS, s, &len) != 0 ||
		    inet_pton(AF_INET, s, &a) != 1)
			continue;
		pos = find_first(p, a);
		if (pos < p->n)
			ping_iterator_set_context(it, &p->order[pos]);
	}
}

static void collect(pingobj_t *obj, struct icmp_pass *p)
{
	for (pingobj_iter_t *it = ping_iterator_get(obj); it; it = ping_iterator_next(it)) {
		size_t *slot = ping_iterator_get_context(it);
		double ms = -1.0;
		size_t len = sizeof(ms);

		if (!slot || ping_iterator_get_info(it, PING_INFO_LATENCY, &ms, &len) != 0)
			continue;
		if (ms >= 0.0)
			take_answer(p, (size_t)(slot - p->order), ms);
	}
}

static bool no_raw_socket(pingobj_t *obj)
{
	const char *err = ping_get_error(obj);

	return err && (strstr(err, "Operation not permitted") || strstr(err, "Permission denied"));
}

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1e3 + (now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* each round lasts until the next probe is due, measured from the start of
 * the pass (adding hosts took part of it), the last one until the deadline */
static int run_rounds(pingobj_t *obj, struct icmp_pass *p, unsigned count, unsigned deadline_ms,
		      const struct timespec *t0, struct roam_error *e)
{
	for (unsigned k = 0; k < count && p->pending > 0; k++) {
		unsigned to = k + 1 < count ? roam_probe_send_at(k + 1, count, deadline_ms)
					    : deadline_ms;
		double timeout = (to - ms_since(t0)) / 1000.0;

		if (timeout <= 0.0 && k + 1 < count)
			continue;	/* late: the next round sends at once */
		if (timeout <= 0.0)
			break;
		ping_setopt(obj, PING_OPT_TIMEOUT, &timeout);
		/* < 0 when a send failed (a firewall's EPERM): the answers that came
		 * still count. Versions that open the raw socket only here fail
		 * the first round outright without the privilege: unavailable. */
		if (ping_send(obj) < 0 && k == 0 && no_raw_socket(obj)) {
			roam_error_set(e, "liboping: %s", ping_get_error(obj));
			return 0;
		}
		collect(obj, p);
	}
	return 1;
}

/* the object holding the raw socket, or why there is none */
static pingobj_t *kept;
static char kept_why[320] = "liboping: no raw socket was opened at start";

bool probe_icmp_open(void)
{
	int af = AF_INET;

	if (kept)
		return true;
	kept = ping_construct();
	if (!kept) {
		snprintf(kept_why, sizeof(kept_why), "out of memory");
		return false;
	}
	/* adding a host opens the socket; nothing is sent until ping_send() */
	if (ping_setopt(kept, PING_OPT_AF, &af) != 0 || ping_host_add(kept, "127.0.0.1") != 0) {
		const char *err = ping_get_error(kept);

		snprintf(kept_why, sizeof(kept_why), "liboping: no raw socket at start: %.180s%s",
			 err, strstr(err, "getaddrinfo") ? " (liboping needs a non-loopback IPv4 "
			 "address on this host)" : " (needs root or cap_net_raw)");
		ping_destroy(kept);
		kept = NULL;
		return false;
	}
	ping_host_remove(kept, "127.0.0.1");
	return true;
}

void probe_icmp_close(void)
{
	if (kept)
		ping_destroy(kept);
	kept = NULL;
}

/* the kept object with no hosts left from the last pass */
static void remove_all_hosts(pingobj_t *obj)
{
	pingobj_iter_t *it;

	while ((it = ping_iterator_get(obj))) {
		char s[INET6_ADDRSTRLEN];
		size_t len = sizeof(s);

		if (ping_iterator_get_info(it, PING_INFO_ADDRESS, s, &len) != 0 ||
		    ping_host_remove(obj, s) != 0)
			break;
	}
}

/* a failure may leave liboping's object unsafe (see above): never reuse it */
static void lose_method(const struct roam_error *e)
{
	probe_icmp_close();
	snprintf(kept_why, sizeof(kept_why), "the icmp method failed earlier in this run: %.180s",
		 e->msg);
}

static int icmp_run(struct roam_probe_target *t, size_t n, unsigned count,
		    unsigned deadline_ms, struct roam_error *e)
{
	struct icmp_pass p = { .t = t, .n = n, .pending = n };
	pingobj_t *obj = kept;
	int ret = -1;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (n == 0)
		return 1;
	if (n > PROBE_ICMP_MAX) {
		roam_error_set(e, "liboping probes at most %d targets in one pass (%zu given)",
			       PROBE_ICMP_MAX, n);
		return 0;
	}
	if (!obj) {
		roam_error_set(e, "%s", kept_why);
		return 0;
	}
	p.order = malloc(n * sizeof(*p.order));
	if (!p.order) {
		roam_error_set(e, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		p.order[i] = i;
	sort_base = t;
	qsort(p.order, n, sizeof(*p.order), by_address);
	remove_all_hosts(obj);
	if (!add_hosts(obj, &p, e))
		ret = 0;	/* typically no IPv4 address here any more */
	else if (unique_idents(obj, n, e)) {
		bind_contexts(obj, &p);
		ret = run_rounds(obj, &p, count, deadline_ms, &t0, e);
	}
	if (ret <= 0)
		lose_method(e);
	free(p.order);
	return ret;
}

const struct roam_probe_ops probe_icmp_ops = { .name = "icmp", .run = icmp_run };
