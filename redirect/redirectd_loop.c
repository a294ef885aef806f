/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netstring.h"
#include "redirectd_loop.h"

enum {
	IN_MAX = SOCKETMAP_REQUEST_MAX + 8,	/* "1024:" ... "," */
	OUT_MAX = 4 * SOCKETMAP_REPLY_MAX,	/* replies a client has not read yet */
	EVENTS = 64,
};

/* epoll's u64: a connection's slot, or one of these */
#define TAG_SIGNAL UINT64_MAX
#define TAG_LISTEN (UINT64_MAX - 16)	/* + listener index */

struct conn {
	int fd;				/* -1: a free slot */
	bool reading;			/* EPOLLIN wanted (off while out is full) */
	bool writing;			/* EPOLLOUT wanted */
	uint64_t last;			/* activity, for the idlest-first eviction */
	size_t inlen, outlen, outoff;
	char in[IN_MAX];
	char out[OUT_MAX];
};

struct rd_loop {
	int ep, sigfd;
	const int *listen_fds;
	size_t nlisten;
	struct conn *conns;
	size_t max_conns, nconns;
	uint64_t tick;			/* counts events: cheaper than a clock */
	time_t last_cap_log;
	struct socketmap_ctx *ctx;
	void (*reload)(void *);
	void *arg;
};

static bool watch(struct rd_loop *l, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(l->ep, op, fd, &ev) == 0;
}

static void conn_close(struct rd_loop *l, struct conn *c)
{
	close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	l->nconns--;
}

/* EPOLLIN while there is room for a reply, EPOLLOUT while replies wait */
static void conn_rearm(struct rd_loop *l, struct conn *c)
{
	bool r = OUT_MAX - c->outlen >= SOCKETMAP_REPLY_MAX, w = c->outoff < c->outlen;

	if (r == c->reading && w == c->writing)
		return;
	c->reading = r;
	c->writing = w;
	if (!watch(l, EPOLL_CTL_MOD, c->fd, (r ? EPOLLIN : 0) | (w ? EPOLLOUT : 0),
		   (uint64_t)(c - l->conns)))
		conn_close(l, c);
}

/* false: the connection is gone */
static bool conn_flush(struct rd_loop *l, struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(l, c);
			return false;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	return true;
}

/* answers every whole request buffered while replies fit; false: closed */
static bool conn_answer(struct rd_loop *l, struct conn *c)
{
	size_t off = 0;

	while (OUT_MAX - c->outlen >= SOCKETMAP_REPLY_MAX) {
		const char *data;
		size_t dlen, used;
		char why[400];
		enum netstring_result r = netstring_parse(c->in + off, c->inlen - off,
							  SOCKETMAP_REQUEST_MAX, &data, &dlen, &used);

		if (r == NETSTRING_MORE)
			break;
		if (r == NETSTRING_BAD) {
			roam_info("a client sent a malformed or oversized netstring: closing it");
			conn_close(l, c);
			return false;
		}
		size_t n = socketmap_answer(l->ctx, data, dlen, time(NULL), c->out + c->outlen,
					    why, sizeof(why));

		roam_debug("request '%.*s': %.*s", (int)(dlen > 300 ? 300 : dlen), data,
			   (int)n, c->out + c->outlen);
		c->outlen += n;
		if (why[0])
			roam_warn("%s: answered NOTFOUND", why);
		off += used;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return true;
}

static void conn_readable(struct rd_loop *l, struct conn *c)
{
	ssize_t n;

	if (c->inlen == IN_MAX)
		return;	/* requests wait for their replies to be read */
	n = recv(c->fd, c->in + c->inlen, IN_MAX - c->inlen, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(l, c);	/* EOF, or an error: nothing to answer */
		return;
	}
	c->inlen += (size_t)n;
	c->last = ++l->tick;
	if (conn_answer(l, c) && conn_flush(l, c))
		conn_rearm(l, c);
}

/* the slot of the connection idle longest, closed to make room */
static struct conn *evict_idlest(struct rd_loop *l)
{
	struct conn *idlest = NULL;
	time_t now = time(NULL);

	for (size_t i = 0; i < l->max_conns; i++)
		if (l->conns[i].fd >= 0 && (!idlest || l->conns[i].last < idlest->last))
			idlest = &l->conns[i];
	if (now != l->last_cap_log) {	/* at most one line a second */
		roam_notice("%zu connections, the cap (max_connections): closing the idlest",
			    l->max_conns);
		l->last_cap_log = now;
	}
	conn_close(l, idlest);
	return idlest;
}

static void accept_all(struct rd_loop *l, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				roam_warn("accept: %s", strerror(errno));	/* EMFILE... */
			return;
		}
		if (l->nconns == l->max_conns)
			c = evict_idlest(l);
		for (size_t i = 0; !c && i < l->max_conns; i++)
			if (l->conns[i].fd < 0)
				c = &l->conns[i];
		c->fd = fd;
		c->inlen = c->outlen = c->outoff = 0;
		c->reading = true;
		c->writing = false;
		c->last = ++l->tick;
		l->nconns++;
		if (!watch(l, EPOLL_CTL_ADD, fd, EPOLLIN, (uint64_t)(c - l->conns)))
			conn_close(l, c);
	}
}

/* true: keep running */
static bool on_signal(struct rd_loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			l->reload(l->arg);
			continue;
		}
		roam_notice("signal %u: stopping", si.ssi_signo);
		return false;
	}
	return true;
}

struct rd_loop *rd_loop_new(const int *listen_fds, size_t nlisten, size_t max_conns,
			    struct socketmap_ctx *ctx, void (*reload)(void *), void *arg,
			    struct roam_error *e)
{
	struct rd_loop *l = calloc(1, sizeof(*l));
	sigset_t set;

	if (!l || !(l->conns = calloc(max_conns, sizeof(*l->conns)))) {
		free(l);
		roam_error_set(e, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < max_conns; i++)
		l->conns[i].fd = -1;
	*l = (struct rd_loop){ .ep = -1, .sigfd = -1, .listen_fds = listen_fds, .nlisten = nlisten,
			       .conns = l->conns, .max_conns = max_conns, .ctx = ctx,
			       .reload = reload, .arg = arg };
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->ep < 0 || l->sigfd < 0 || !watch(l, EPOLL_CTL_ADD, l->sigfd, EPOLLIN, TAG_SIGNAL)) {
		roam_error_set(e, "epoll or signalfd: %s", strerror(errno));
		rd_loop_free(l);
		return NULL;
	}
	for (size_t i = 0; i < nlisten; i++)
		if (!watch(l, EPOLL_CTL_ADD, listen_fds[i], EPOLLIN, TAG_LISTEN + i)) {
			roam_error_set(e, "epoll: %s", strerror(errno));
			rd_loop_free(l);
			return NULL;
		}
	return l;
}

bool rd_loop_run(struct rd_loop *l, struct roam_error *e)
{
	struct epoll_event ev[EVENTS];

	for (;;) {
		int n = epoll_wait(l->ep, ev, EVENTS, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return roam_error_set(e, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;
			struct conn *c;

			if (tag == TAG_SIGNAL) {
				if (!on_signal(l))
					return true;
				continue;
			}
			if (tag >= TAG_LISTEN) {
				accept_all(l, l->listen_fds[tag - TAG_LISTEN]);
				continue;
			}
			c = &l->conns[tag];
			if (c->fd < 0)
				continue;	/* closed by an eviction in this very batch */
			if (ev[i].events & (EPOLLERR | EPOLLHUP) && !(ev[i].events & EPOLLIN)) {
				conn_close(l, c);
				continue;
			}
			if ((ev[i].events & EPOLLOUT) && conn_flush(l, c) &&
			    conn_answer(l, c) && conn_flush(l, c))
				conn_rearm(l, c);
			if (c->fd >= 0 && (ev[i].events & EPOLLIN))
				conn_readable(l, c);
		}
	}
}

void rd_loop_free(struct rd_loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->max_conns; i++)
		if (l->conns[i].fd >= 0)
			close(l->conns[i].fd);
	if (l->ep >= 0)
		close(l->ep);
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->conns);
	free(l);
}
