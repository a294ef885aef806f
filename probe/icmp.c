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
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <oping.h>

#include "icmp.h"

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
		if (ping_host_add(obj, s) != 0)
			return roam_error_set(e, "liboping cannot add %s: %s", s, ping_get_error(obj));
	}
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

static int run_rounds(pingobj_t *obj, struct icmp_pass *p, unsigned count, unsigned deadline_ms)
{
	for (unsigned k = 0; k < count && p->pending > 0; k++) {
		unsigned from = roam_probe_send_at(k, count, deadline_ms);
		unsigned to = k + 1 < count ? roam_probe_send_at(k + 1, count, deadline_ms)
					    : deadline_ms;
		double timeout = (to - from) / 1000.0;

		if (to <= from)
			continue;	/* a zero slot: the next round sends at the same time */
		ping_setopt(obj, PING_OPT_TIMEOUT, &timeout);
		/* < 0 when a send failed (a firewall's EPERM): the answers that came still count */
		ping_send(obj);
		collect(obj, p);
	}
	return 1;
}

static int icmp_run(struct roam_probe_target *t, size_t n, unsigned count,
		    unsigned deadline_ms, struct roam_error *e)
{
	struct icmp_pass p = { .t = t, .n = n, .pending = n };
	pingobj_t *obj = NULL;
	int af = AF_INET, ret = -1;

	if (n == 0)
		return 1;
	p.order = malloc(n * sizeof(*p.order));
	obj = ping_construct();
	if (!p.order || !obj) {
		roam_error_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		p.order[i] = i;
	sort_base = t;
	qsort(p.order, n, sizeof(*p.order), by_address);
	if (ping_setopt(obj, PING_OPT_AF, &af) != 0 || !add_hosts(obj, &p, e)) {
		ret = 0;	/* typically "Operation not permitted": no raw socket here */
		goto out;
	}
	bind_contexts(obj, &p);
	ret = run_rounds(obj, &p, count, deadline_ms);
out:
	if (obj)
		ping_destroy(obj);
	free(p.order);
	return ret;
}

const struct roam_probe_ops probe_icmp_ops = { .name = "icmp", .run = icmp_run };
