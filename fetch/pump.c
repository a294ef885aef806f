/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pump.h"

/* the dialer's descriptor, then per link its socket and its stream's own */
enum { PUMP_BUF = 32 * 1024, PUMP_MAX_POLL = 160 };

struct buf {
	char data[PUMP_BUF];
	size_t off, len;	/* pending bytes are data[off, len) */
};

struct link {
	int fd;
	struct stream *s;
	struct buf up;		/* local → stream */
	struct buf down;	/* stream → local */
	bool local_eof, eof_sent;	/* local side finished sending */
	bool chan_eof, shut_wr;		/* remote side finished sending */
	bool dead;			/* an error of this link only */
	double last;			/* when it last moved a byte (monotonic s) */
};

struct pump {
	struct dialer *d;
	struct link **links;
	size_t n;
	int idle;		/* seconds, 0 = no limit */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void pump_set_idle(struct pump *p, int seconds)
{
	p->idle = seconds;
}

struct pump *pump_new(struct dialer *d)
{
	struct pump *p = calloc(1, sizeof(*p));

	if (p)
		p->d = d;
	return p;
}

static void link_free(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->s->ops->close(l->s);
	free(l);
}

void pump_free(struct pump *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		link_free(p->links[i]);
	free(p->links);
	free(p);
}

bool pump_add(struct pump *p, int fd, struct stream *s, struct roam_error *e)
{
	struct link **nl = realloc(p->links, (p->n + 1) * sizeof(*nl));
	struct link *l = calloc(1, sizeof(*l));

	if (nl)
		p->links = nl;
	if (!nl || !l) {
		free(l);
		close(fd);
		s->ops->close(s);
		return roam_error_set(e, "out of memory");
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->fd = fd;
	l->s = s;
	l->last = now();
	p->links[p->n++] = l;
	return true;
}

size_t pump_links(const struct pump *p)
{
	return p->n;
}

static void compact(struct buf *b)
{
	if (b->off == b->len) {
		b->off = b->len = 0;
	} else if (b->off) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
}

/* local socket → stream; returns a STREAM_* error or 0 */
static ssize_t move_up(struct link *l, bool *progress)
{
	const struct stream_ops *ops = l->s->ops;
	ssize_t n;

	compact(&l->up);
	if (!l->local_eof && l->up.len < PUMP_BUF) {
		n = read(l->fd, l->up.data + l->up.len, PUMP_BUF - l->up.len);
		if (n > 0) {
			l->up.len += (size_t)n;
			*progress = true;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			l->local_eof = true;
			*progress = true;
		}
	}
	while (l->up.off < l->up.len) {
		n = ops->write(l->s, l->up.data + l->up.off, l->up.len - l->up.off);
		if (n == STREAM_AGAIN)
			return 0;
		if (n < 0)
			return n;
		l->up.off += (size_t)n;
		*progress = true;
	}
	if (l->local_eof && !l->eof_sent) {
		n = ops->send_eof(l->s);
		if (n == STREAM_AGAIN)
			return 0;
		l->eof_sent = true;
		*progress = true;
		if (n < 0)
			return n;
	}
	return 0;
}

/* stream → local socket; returns a STREAM_* error or 0 */
static ssize_t move_down(struct link *l, bool *progress)
{
	ssize_t n;

	compact(&l->down);
	if (!l->chan_eof && l->down.len < PUMP_BUF) {
		n = l->s->ops->read(l->s, l->down.data + l->down.len, PUMP_BUF - l->down.len);
		if (n > 0) {
			l->down.len += (size_t)n;
			*progress = true;
		} else if (n == 0) {
			l->chan_eof = true;
			*progress = true;
		} else if (n != STREAM_AGAIN) {
			return n;
		}
	}
	if (l->down.off < l->down.len) {
		n = write(l->fd, l->down.data + l->down.off, l->down.len - l->down.off);
		if (n > 0) {
			l->down.off += (size_t)n;
			*progress = true;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			l->dead = true;	/* the local client went away */
		}
	}
	if (l->chan_eof && l->down.off == l->down.len && !l->shut_wr) {
		shutdown(l->fd, SHUT_WR);
		l->shut_wr = true;
		*progress = true;
	}
	return 0;
}

static bool link_done(const struct link *l)
{
	return l->dead || (l->eof_sent && l->shut_wr);
}

/* moves bytes until nothing moves; false on a transport error */
static bool move_all(struct pump *p, struct roam_error *e)
{
	bool progress = true;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < p->n; i++) {
			struct link *l = p->links[i];
			bool moved = false;
			ssize_t rc = move_up(l, &moved);

			if (!rc)
				rc = move_down(l, &moved);
			if (moved) {
				l->last = now();
				progress = true;
			}
			if (rc == STREAM_ENDED)
				l->dead = true;
			else if (rc)
				return roam_error_set(e, "ssh connection lost: %s",
						      p->d->ops->why(p->d));
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->idle && !p->links[i]->dead && now() - p->links[i]->last >= p->idle) {
			roam_info("closing a connection idle for %d s", p->idle);
			p->links[i]->dead = true;
		}
	for (size_t i = 0; i < p->n;) {
		if (link_done(p->links[i])) {
			link_free(p->links[i]);
			p->links[i] = p->links[--p->n];
		} else {
			i++;
		}
	}
	return true;
}

static bool wants_read(const struct link *l)
{
	return !l->chan_eof && l->down.len < PUMP_BUF;
}

static bool wants_write(const struct link *l)
{
	return l->up.off < l->up.len || (l->local_eof && !l->eof_sent);
}

/* the link's socket and its stream's own descriptors; false when full */
static bool link_fds(struct link *l, struct pollfd *fds, size_t *nfds, size_t max)
{
	short ev = 0;

	if (*nfds + 1 + STREAM_MAX_FDS > max)
		return false;
	if (!l->local_eof && l->up.len < PUMP_BUF)
		ev |= POLLIN;
	if (l->down.off < l->down.len)
		ev |= POLLOUT;
	fds[(*nfds)++] = (struct pollfd){ .fd = l->fd, .events = ev };
	*nfds += l->s->ops->poll_fds(l->s, wants_read(l), wants_write(l), fds + *nfds);
	return true;
}

/* the earliest idle deadline lowers the wait */
static int idle_timeout(const struct pump *p, int timeout_ms)
{
	for (size_t i = 0; p->idle && i < p->n; i++) {
		int left = (int)((p->links[i]->last + p->idle - now()) * 1000) + 1;

		if (left < 0)
			left = 0;
		if (timeout_ms < 0 || timeout_ms > left)
			timeout_ms = left;
	}
	return timeout_ms;
}

bool pump_step(struct pump *p, struct pollfd *extra, size_t nextra, int timeout_ms,
	       struct roam_error *e)
{
	struct pollfd fds[PUMP_MAX_POLL];
	size_t nfds, nd;
	bool want_io = false;

	if (!move_all(p, e) || !p->d->ops->tick(p->d, &timeout_ms, e))
		return false;
	timeout_ms = idle_timeout(p, timeout_ms);
	for (size_t i = 0; i < p->n; i++)
		want_io |= wants_read(p->links[i]) || wants_write(p->links[i]);
	nfds = nd = p->d->ops->poll_fds(p->d, want_io, fds);
	for (size_t i = 0; i < p->n && link_fds(p->links[i], fds, &nfds, PUMP_MAX_POLL - nextra);
	     i++)
		;
	for (size_t i = 0; i < nextra; i++)
		fds[nfds++] = extra[i];
	if (poll(fds, nfds, timeout_ms) < 0 && errno != EINTR)
		return roam_error_set(e, "poll: %s", strerror(errno));
	for (size_t i = 0; i < nextra; i++)
		extra[i].revents = fds[nfds - nextra + i].revents;
	return p->d->ops->check(p->d, fds, nd, e);
}
