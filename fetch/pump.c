/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pump.h"

enum { PUMP_BUF = 32 * 1024, PUMP_MAX_POLL = 64 };

struct buf {
	char data[PUMP_BUF];
	size_t off, len;	/* pending bytes are data[off, len) */
};

struct link {
	int fd;
	LIBSSH2_CHANNEL *ch;
	struct buf up;		/* local → channel */
	struct buf down;	/* channel → local */
	bool local_eof, eof_sent;	/* local side finished sending */
	bool chan_eof, shut_wr;		/* remote side finished sending */
	bool dead;			/* an error of this link only */
	double last;			/* when it last moved a byte (monotonic s) */
};

struct pump {
	struct ssh_conn *c;
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

struct pump *pump_new(struct ssh_conn *c)
{
	struct pump *p = calloc(1, sizeof(*p));

	if (p)
		p->c = c;
	return p;
}

/* blocking for a moment so that the channel's close handshake completes;
 * called when a link ends, which is rare next to the bytes it carried */
static void link_free(struct pump *p, struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	libssh2_session_set_blocking(p->c->session, 1);
	libssh2_channel_free(l->ch);
	libssh2_session_set_blocking(p->c->session, 0);
	free(l);
}

void pump_free(struct pump *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		link_free(p, p->links[i]);
	free(p->links);
	libssh2_session_set_blocking(p->c->session, 1);
	free(p);
}

bool pump_add(struct pump *p, int fd, LIBSSH2_CHANNEL *ch, struct roam_error *e)
{
	struct link **nl = realloc(p->links, (p->n + 1) * sizeof(*nl));
	struct link *l = calloc(1, sizeof(*l));

	if (nl)
		p->links = nl;
	if (!nl || !l) {
		free(l);
		close(fd);
		libssh2_channel_free(ch);
		return roam_error_set(e, "out of memory");
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	l->fd = fd;
	l->ch = ch;
	l->last = now();
	p->links[p->n++] = l;
	libssh2_session_set_blocking(p->c->session, 0);
	return true;
}

size_t pump_links(const struct pump *p)
{
	return p->n;
}

/* errors that end one channel, not the whole session */
static bool channel_only(ssize_t rc)
{
	return rc == LIBSSH2_ERROR_CHANNEL_CLOSED || rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT ||
	       rc == LIBSSH2_ERROR_CHANNEL_FAILURE || rc == LIBSSH2_ERROR_CHANNEL_UNKNOWN;
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

/* local socket → channel; returns a libssh2 error or 0 */
static ssize_t move_up(struct link *l, bool *progress)
{
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
		n = libssh2_channel_write(l->ch, l->up.data + l->up.off, l->up.len - l->up.off);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (n < 0)
			return n;
		l->up.off += (size_t)n;
		*progress = true;
	}
	if (l->local_eof && !l->eof_sent) {
		n = libssh2_channel_send_eof(l->ch);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		l->eof_sent = true;
		*progress = true;
		if (n < 0)
			return n;
	}
	return 0;
}

/* channel → local socket; returns a libssh2 error or 0 */
static ssize_t move_down(struct link *l, bool *progress)
{
	ssize_t n;

	compact(&l->down);
	if (!l->chan_eof && l->down.len < PUMP_BUF) {
		n = libssh2_channel_read(l->ch, l->down.data + l->down.len,
					 PUMP_BUF - l->down.len);
		if (n > 0) {
			l->down.len += (size_t)n;
			*progress = true;
		} else if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) {
			if (libssh2_channel_eof(l->ch)) {
				l->chan_eof = true;
				*progress = true;
			}
		} else {
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

/* moves bytes until nothing moves; false on a session error */
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
			if (rc && channel_only(rc))
				l->dead = true;
			else if (rc)
				return roam_error_set(e, "ssh connection lost: %s",
						      ssh_last_error(p->c));
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->idle && !p->links[i]->dead && now() - p->links[i]->last >= p->idle) {
			roam_info("closing a connection idle for %d s", p->idle);
			p->links[i]->dead = true;
		}
	for (size_t i = 0; i < p->n;) {
		if (link_done(p->links[i])) {
			link_free(p, p->links[i]);
			p->links[i] = p->links[--p->n];
		} else {
			i++;
		}
	}
	return true;
}

/* the ssh socket is polled for input only while some link can take data, or
 * waits for a window adjust; otherwise unread input would wake us forever */
static short ssh_events(struct pump *p)
{
	short ev = POLLRDHUP;
	int dir = libssh2_session_block_directions(p->c->session);

	for (size_t i = 0; i < p->n; i++) {
		struct link *l = p->links[i];

		if ((!l->chan_eof && l->down.len < PUMP_BUF) || l->up.off < l->up.len ||
		    (l->local_eof && !l->eof_sent))
			ev |= POLLIN;
	}
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	return ev;
}

/* Acknowledge the server's next segments at once. OpenSSH's sshd leaves Nagle
 * on for a connection without a tty (ssh_packet_set_interactive), and writes a
 * 64 KB reply as two 32 KB channel packets: the second waits in its kernel
 * until the first is ACKed. Our kernel sees a request/response pattern (we
 * send a command right after each reply: "pingpong" mode) and delays that ACK
 * by its 40 ms minimum; every message above one ssh packet stalled 40 ms.
 * The flag is not sticky (the next send re-enters pingpong mode), so it is set
 * again before every wait. Not a TCP socket: nothing to do. */
static void ack_quickly(int fd)
{
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &(int){ 1 }, sizeof(int));
}

bool pump_step(struct pump *p, struct pollfd *extra, size_t nextra, int timeout_ms,
	       struct roam_error *e)
{
	struct pollfd fds[PUMP_MAX_POLL];
	size_t nfds = 0;
	int next = 0;

	if (!move_all(p, e))
		return false;
	if (libssh2_keepalive_send(p->c->session, &next) != 0)
		return roam_error_set(e, "ssh connection lost: %s", ssh_last_error(p->c));
	if (next > 0 && (timeout_ms < 0 || timeout_ms > next * 1000))
		timeout_ms = next * 1000;
	for (size_t i = 0; p->idle && i < p->n; i++) {
		int left = (int)((p->links[i]->last + p->idle - now()) * 1000) + 1;

		if (left < 0)
			left = 0;
		if (timeout_ms < 0 || timeout_ms > left)
			timeout_ms = left;
	}
	fds[nfds++] = (struct pollfd){ .fd = p->c->fd, .events = ssh_events(p) };
	if (fds[0].events & POLLIN)
		ack_quickly(p->c->fd);
	for (size_t i = 0; i < p->n && nfds < PUMP_MAX_POLL - nextra; i++) {
		struct link *l = p->links[i];
		short ev = 0;

		if (!l->local_eof && l->up.len < PUMP_BUF)
			ev |= POLLIN;
		if (l->down.off < l->down.len)
			ev |= POLLOUT;
		fds[nfds++] = (struct pollfd){ .fd = l->fd, .events = ev };
	}
	for (size_t i = 0; i < nextra; i++)
		fds[nfds++] = extra[i];
	if (poll(fds, nfds, timeout_ms) < 0 && errno != EINTR)
		return roam_error_set(e, "poll: %s", strerror(errno));
	for (size_t i = 0; i < nextra; i++)
		extra[i].revents = fds[nfds - nextra + i].revents;
	if (fds[0].revents & (POLLERR | POLLHUP | POLLRDHUP) && !(fds[0].revents & POLLIN))
		return roam_error_set(e, "ssh connection lost: the server closed it");
	return true;
}
