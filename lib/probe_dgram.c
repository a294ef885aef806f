/* SPDX-License-Identifier: MIT */
/*
 * probe_dgram.c — ICMP echo through one kernel "ping" socket for all targets.
 *
 * The kernel rewrites the echo identifier of a ping socket to the socket's
 * own port and delivers only replies carrying it, so the identifier cannot
 * tell targets apart. Each request instead carries a payload with a random
 * per-pass cookie, the target's index, the probe number and the send time; a
 * reply counts only when its cookie matches and it comes from the address at
 * that index. The send time in the payload gives the round trip without a
 * per-probe table.
 */
#include <errno.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "probe_clock.h"

struct echo_payload {
	uint64_t cookie;
	uint64_t sent_us;
	uint32_t index;
	uint32_t probe;
};

struct dgram_pass {
	int fd;
	uint64_t cookie;
	uint16_t seq;
	struct roam_probe_target *t;
	size_t n;
	size_t pending;		/* targets not yet answered */
	uint64_t end;		/* the deadline: a full send buffer is waited for until then */
};

enum { DRAIN_EVERY = 32 };	/* sends between reads, so that replies never pile up */

static void take_reply(struct dgram_pass *p, const unsigned char *buf, ssize_t len,
		       const struct sockaddr_in *from)
{
	struct icmphdr h;
	struct echo_payload pl;
	uint64_t rtt;

	if (len < (ssize_t)(sizeof(h) + sizeof(pl)))
		return;
	memcpy(&h, buf, sizeof(h));
	memcpy(&pl, buf + sizeof(h), sizeof(pl));
	if (h.type != ICMP_ECHOREPLY || pl.cookie != p->cookie || pl.index >= p->n)
		return;
	if (p->t[pl.index].addr.s_addr != from->sin_addr.s_addr)
		return;
	rtt = roam_probe_now_us() - pl.sent_us;
	if (rtt > UINT32_MAX)
		rtt = UINT32_MAX;
	if (!p->t[pl.index].alive) {
		p->t[pl.index].alive = true;
		p->t[pl.index].rtt_us = (uint32_t)rtt;
		p->pending--;
	} else if (rtt < p->t[pl.index].rtt_us) {
		p->t[pl.index].rtt_us = (uint32_t)rtt;
	}
}

/* reads every reply that is already there */
static void drain(struct dgram_pass *p)
{
	unsigned char buf[256];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return;	/* EAGAIN, or an error queued on the socket: nothing to match */
		take_reply(p, buf, len, &from);
	}
}

/* reads replies until `until` or until every target has answered */
static void wait_replies(struct dgram_pass *p, uint64_t until)
{
	while (p->pending > 0) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		int ms = roam_probe_wait_ms(until);
		int r = poll(&pfd, 1, ms);

		if (r > 0)
			drain(p);
		if (ms == 0 || (r < 0 && errno != EINTR))
			return;
	}
}

static void send_one(struct dgram_pass *p, size_t i, unsigned probe)
{
	unsigned char buf[sizeof(struct icmphdr) + sizeof(struct echo_payload)];
	struct icmphdr h = { .type = ICMP_ECHO };
	struct echo_payload pl = { .cookie = p->cookie, .index = (uint32_t)i, .probe = probe };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = p->t[i].addr };

	h.un.echo.sequence = htons(p->seq++);
	pl.sent_us = roam_probe_now_us();
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &pl, sizeof(pl));
	while (roam_probe_now_us() < p->end) {
		if (sendto(p->fd, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)) >= 0)
			return;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != ENOBUFS)
			return;	/* EPERM (firewall), ENETUNREACH…: this probe is lost */
		/* the send buffer is full: read replies while it empties */
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN | POLLOUT };
		if (poll(&pfd, 1, 10) > 0 && (pfd.revents & POLLIN))
			drain(p);
	}
}

static void send_round(struct dgram_pass *p, unsigned probe)
{
	unsigned sent = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (p->t[i].alive)
			continue;
		send_one(p, i, probe);
		if (++sent % DRAIN_EVERY == 0)
			drain(p);
	}
}

static int open_ping_socket(size_t n, struct roam_error *e)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	int want;

	if (fd < 0) {
		int r = (errno == EACCES || errno == EPERM || errno == EPROTONOSUPPORT ||
			 errno == EAFNOSUPPORT) ? 0 : -1;

		roam_error_set(e, "cannot open an ICMP ping socket: %s%s", strerror(errno),
			       r == 0 ? " (is the group in net.ipv4.ping_group_range?)" : "");
		return r == 0 ? -2 : -1;
	}
	/* room for a reply from every target at once; FORCE works for root only */
	want = n > 16384 ? 16 << 20 : (int)n * 1024 + 65536;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	return fd;
}

int roam_probe_dgram(struct roam_probe_target *t, size_t n, unsigned count,
		     unsigned deadline_ms, struct roam_error *e)
{
	uint64_t start = roam_probe_now_us();
	struct dgram_pass p = { .t = t, .n = n, .pending = 0,
				.end = start + deadline_ms * 1000ull };
	int fd = open_ping_socket(n, e);

	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	p.fd = fd;
	if (getrandom(&p.cookie, sizeof(p.cookie), 0) != sizeof(p.cookie))
		p.cookie = start ^ ((uint64_t)getpid() << 32);
	for (size_t i = 0; i < n; i++)
		p.pending += !t[i].alive;
	for (unsigned k = 0; k < count && p.pending > 0; k++) {
		wait_replies(&p, start + roam_probe_send_at(k, count, deadline_ms) * 1000ull);
		if (p.pending == 0 || roam_probe_now_us() >= start + deadline_ms * 1000ull)
			break;
		send_round(&p, k);
	}
	wait_replies(&p, start + deadline_ms * 1000ull);
	close(fd);
	return 1;
}
