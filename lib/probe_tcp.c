/* SPDX-License-Identifier: MIT */
/*
 * probe_tcp.c — liveness by TCP connect, every target at once through epoll.
 *
 * A host that accepts the connection or refuses it (RST) is there; silence or
 * an ICMP unreachable means dead. The kernel would retransmit a lost SYN only
 * after a second, so each of the k probes is a fresh socket; all of them stay
 * open until the target answers or the pass ends, so a slow answer to an early
 * probe still counts. Answers are taken between sends, which closes the
 * sockets of targets that answered; when file descriptors still run out, the
 * oldest socket of the same target makes room, else we wait for answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "probe_clock.h"

struct tcp_pass {
	int ep;
	struct roam_probe_target *t;
	size_t n;
	unsigned count;
	uint16_t port;
	int *fd;		/* [target * count + probe], -1 when closed */
	uint64_t *sent_us;	/* same index */
	size_t pending;
};

static void close_slot(struct tcp_pass *p, size_t slot)
{
	if (p->fd[slot] >= 0) {
		close(p->fd[slot]);	/* also removes it from the epoll set */
		p->fd[slot] = -1;
	}
}

static void mark_alive(struct tcp_pass *p, size_t slot)
{
	size_t i = slot / p->count;
	uint64_t rtt = roam_probe_now_us() - p->sent_us[slot];

	if (!p->t[i].alive) {
		p->t[i].alive = true;
		p->t[i].rtt_us = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
		p->pending--;
	}
	for (unsigned k = 0; k < p->count; k++)
		close_slot(p, i * p->count + k);
}

static bool wait_events(struct tcp_pass *p, uint64_t until, struct roam_error *e);

static int open_socket(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static bool out_of_fds(int fd)
{
	return fd < 0 && (errno == EMFILE || errno == ENFILE);
}

/* a socket for target i; at the limit, room comes from its own older probes,
 * else from answers that arrive within `until` */
static int new_socket(struct tcp_pass *p, size_t i, uint64_t until)
{
	int fd = open_socket();

	for (unsigned k = 0; out_of_fds(fd) && k < p->count; k++) {
		if (p->fd[i * p->count + k] < 0)
			continue;
		close_slot(p, i * p->count + k);
		fd = open_socket();
	}
	while (out_of_fds(fd) && roam_probe_now_us() < until) {
		uint64_t soon = roam_probe_now_us() + 10000;

		if (!wait_events(p, soon < until ? soon : until, NULL))
			break;
		fd = open_socket();
	}
	return fd;
}

/* false only on a system error (epoll); a probe that cannot go out is lost */
static bool send_one(struct tcp_pass *p, size_t i, unsigned probe, uint64_t until,
		     struct roam_error *e)
{
	size_t slot = i * p->count + probe;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(p->port),
				  .sin_addr = p->t[i].addr };
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = slot };
	int fd = new_socket(p, i, until);

	if (fd < 0)
		return true;
	p->fd[slot] = fd;
	p->sent_us[slot] = roam_probe_now_us();
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 || errno == ECONNREFUSED) {
		mark_alive(p, slot);
		return true;
	}
	if (errno != EINPROGRESS) {
		close_slot(p, slot);	/* ENETUNREACH, EPERM (firewall)…: lost */
		return true;
	}
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close_slot(p, slot);
		return roam_error_set(e, "epoll_ctl: %s", strerror(errno));
	}
	return true;
}

static void take_event(struct tcp_pass *p, size_t slot)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (slot >= p->n * p->count || p->fd[slot] < 0)
		return;
	if (getsockopt(p->fd[slot], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0 || err == ECONNREFUSED)
		mark_alive(p, slot);
	else
		close_slot(p, slot);	/* EHOSTUNREACH and friends: no one there */
}

static bool wait_events(struct tcp_pass *p, uint64_t until, struct roam_error *e)
{
	struct epoll_event ev[256];

	while (p->pending > 0) {
		int ms = roam_probe_wait_ms(until);
		int r = epoll_wait(p->ep, ev, 256, ms);

		if (r < 0 && errno != EINTR)
			return roam_error_set(e, "epoll_wait: %s", strerror(errno));
		for (int j = 0; j < r; j++)
			take_event(p, (size_t)ev[j].data.u64);
		if (ms == 0)
			break;
	}
	return true;
}

static bool run_pass(struct tcp_pass *p, unsigned deadline_ms, struct roam_error *e)
{
	uint64_t start = roam_probe_now_us(), end = start + deadline_ms * 1000ull;

	for (unsigned k = 0; k < p->count && p->pending > 0; k++) {
		if (!wait_events(p, start + roam_probe_send_at(k, p->count, deadline_ms) * 1000ull, e))
			return false;
		if (p->pending == 0 || roam_probe_now_us() >= end)
			break;
		uint64_t next = k + 1 < p->count
			? start + roam_probe_send_at(k + 1, p->count, deadline_ms) * 1000ull : end;
		unsigned sent = 0;

		for (size_t i = 0; i < p->n; i++) {
			if (p->t[i].alive)
				continue;
			if (!send_one(p, i, k, next, e))
				return false;
			/* take answers as we go: each frees a target's sockets */
			if (++sent % 64 == 0 && !wait_events(p, 0, e))
				return false;
		}
	}
	return wait_events(p, end, e);
}

int roam_probe_tcp(struct roam_probe_target *t, size_t n, unsigned count,
		   unsigned deadline_ms, uint16_t port, struct roam_error *e)
{
	struct tcp_pass p = { .t = t, .n = n, .count = count ? count : 1, .port = port,
			      .pending = n };
	int ret = -1;

	p.fd = malloc(n * p.count * sizeof(*p.fd) + 1);
	p.sent_us = malloc(n * p.count * sizeof(*p.sent_us) + 1);
	p.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!p.fd || !p.sent_us) {
		roam_error_set(e, "out of memory");
		goto out;
	}
	if (p.ep < 0) {
		roam_error_set(e, "epoll_create1: %s", strerror(errno));
		goto out;
	}
	for (size_t s = 0; s < n * p.count; s++)
		p.fd[s] = -1;
	if (run_pass(&p, deadline_ms, e))
		ret = 1;
	for (size_t s = 0; s < n * p.count; s++)
		close_slot(&p, s);
out:
	if (p.ep >= 0)
		close(p.ep);
	free(p.fd);
	free(p.sent_us);
	return ret;
}
