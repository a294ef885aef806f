/* SPDX-License-Identifier: MIT */
/*
 * stream_ssh2.c — the libssh2 kind of stream.h: every stream is a
 * direct-tcpip channel of one session. The session is non-blocking while
 * streams exist (the pump's thread alone touches it then); a channel is
 * opened and freed in blocking mode, rare next to the bytes it carries.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ssh.h"
#include "stream.h"

struct ssh2_dialer {
	struct dialer d;
	struct ssh_conn *c;
	char *host;
	int port;
};

struct ssh2_stream {
	struct stream s;
	struct ssh2_dialer *d;
	LIBSSH2_CHANNEL *ch;
};

/* errors that end one channel, not the whole session */
static int stream_rc(ssize_t rc)
{
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return STREAM_AGAIN;
	if (rc == LIBSSH2_ERROR_CHANNEL_CLOSED || rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT ||
	    rc == LIBSSH2_ERROR_CHANNEL_FAILURE || rc == LIBSSH2_ERROR_CHANNEL_UNKNOWN)
		return STREAM_ENDED;
	return STREAM_FAILED;
}

static ssize_t ssh2_read(struct stream *s, char *buf, size_t len)
{
	struct ssh2_stream *t = (struct ssh2_stream *)s;
	ssize_t n = libssh2_channel_read(t->ch, buf, len);

	if (n > 0)
		return n;
	if (n == 0 || n == LIBSSH2_ERROR_EAGAIN)
		return libssh2_channel_eof(t->ch) ? 0 : STREAM_AGAIN;
	return stream_rc(n);
}

static ssize_t ssh2_write(struct stream *s, const char *buf, size_t len)
{
	struct ssh2_stream *t = (struct ssh2_stream *)s;
	ssize_t n = libssh2_channel_write(t->ch, buf, len);

	return n > 0 ? n : n == 0 ? STREAM_AGAIN : stream_rc(n);
}

static int ssh2_send_eof(struct stream *s)
{
	struct ssh2_stream *t = (struct ssh2_stream *)s;
	int rc = libssh2_channel_send_eof(t->ch);

	return rc == 0 ? 0 : stream_rc(rc);
}

/* carried by the session's socket, which the dialer watches */
static size_t ssh2_poll_fds(struct stream *s, bool want_read, bool want_write,
			    struct pollfd *fds)
{
	(void)s, (void)want_read, (void)want_write, (void)fds;
	return 0;
}

static void ssh2_close(struct stream *s)
{
	struct ssh2_stream *t = (struct ssh2_stream *)s;
	LIBSSH2_SESSION *session = t->d->c->session;

	libssh2_session_set_blocking(session, 1);
	libssh2_channel_free(t->ch);
	libssh2_session_set_blocking(session, 0);
	free(t);
}

static const struct stream_ops ssh2_stream_ops = {
	.read = ssh2_read, .write = ssh2_write, .send_eof = ssh2_send_eof,
	.poll_fds = ssh2_poll_fds, .close = ssh2_close,
};

static struct stream *ssh2_open(struct dialer *dd, bool *fatal, struct roam_error *e)
{
	struct ssh2_dialer *d = (struct ssh2_dialer *)dd;
	struct ssh2_stream *t = calloc(1, sizeof(*t));
	LIBSSH2_SESSION *session = d->c->session;

	*fatal = false;
	if (!t)
		return roam_error_set(e, "out of memory"), NULL;
	libssh2_session_set_blocking(session, 1);
	t->ch = ssh_channel_open(d->c, d->host, d->port, e);
	/* the server refused this channel; anything else lost the session */
	if (!t->ch && libssh2_session_last_errno(session) != LIBSSH2_ERROR_CHANNEL_FAILURE)
		*fatal = true;
	libssh2_session_set_blocking(session, 0);
	if (!t->ch) {
		free(t);
		return NULL;
	}
	t->s.ops = &ssh2_stream_ops;
	t->d = d;
	return &t->s;
}

static bool ssh2_tick(struct dialer *dd, int *timeout_ms, struct roam_error *e)
{
	struct ssh2_dialer *d = (struct ssh2_dialer *)dd;
	int next = 0;

	if (libssh2_keepalive_send(d->c->session, &next) != 0)
		return roam_error_set(e, "ssh connection lost: %s", ssh_last_error(d->c));
	if (next > 0 && (*timeout_ms < 0 || *timeout_ms > next * 1000))
		*timeout_ms = next * 1000;
	return true;
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

/* The socket is polled for input only while some stream can take data, or
 * waits for a window adjust; otherwise unread input would wake us forever.
 * A close by the server is always seen (POLLRDHUP). */
static size_t ssh2_dialer_poll_fds(struct dialer *dd, bool want_io, struct pollfd *fds)
{
	struct ssh2_dialer *d = (struct ssh2_dialer *)dd;
	int dir = libssh2_session_block_directions(d->c->session);
	short ev = POLLRDHUP;

	if (want_io || (dir & LIBSSH2_SESSION_BLOCK_INBOUND))
		ev |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	if (ev & POLLIN)
		ack_quickly(d->c->fd);
	fds[0] = (struct pollfd){ .fd = d->c->fd, .events = ev };
	return 1;
}

static bool ssh2_check(struct dialer *dd, const struct pollfd *fds, size_t n,
		       struct roam_error *e)
{
	(void)dd;
	if (n && fds[0].revents & (POLLERR | POLLHUP | POLLRDHUP) && !(fds[0].revents & POLLIN))
		return roam_error_set(e, "ssh connection lost: the server closed it");
	return true;
}

static int ssh2_verdict(struct dialer *dd, bool wait, struct roam_error *e)
{
	(void)dd, (void)wait, (void)e;
	return 0;	/* a failed session is reported by tick and check */
}

static const char *ssh2_why(struct dialer *dd)
{
	return ssh_last_error(((struct ssh2_dialer *)dd)->c);
}

static void ssh2_dialer_close(struct dialer *dd, const char *why)
{
	struct ssh2_dialer *d = (struct ssh2_dialer *)dd;

	if (!d)
		return;
	ssh_close(d->c, why);
	free(d->host);
	free(d);
}

static const struct dialer_ops ssh2_dialer_ops = {
	.open = ssh2_open, .tick = ssh2_tick, .poll_fds = ssh2_dialer_poll_fds,
	.check = ssh2_check, .verdict = ssh2_verdict, .why = ssh2_why,
	.close = ssh2_dialer_close,
};

struct dialer *dialer_ssh2(struct ssh_conn *c, const char *host, int port, struct roam_error *e)
{
	struct ssh2_dialer *d = calloc(1, sizeof(*d));

	if (!d || !(d->host = strdup(host))) {
		free(d);
		ssh_close(c, "out of memory");
		return roam_error_set(e, "out of memory"), NULL;
	}
	d->d.ops = &ssh2_dialer_ops;
	d->c = c;
	d->port = port;
	return &d->d;
}
