/* SPDX-License-Identifier: MIT */
/*
 * imap_conn.c — mailbox_imap's connection (imap_conn.h): one reply line or
 * literal at a time from the socket, within the command's deadline; FETCH
 * responses parsed strictly (imap_parse.h), a literal counted to its last
 * octet; tagged commands and their status. See imap.c for the session.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dups.h"
#include "imap_conn.h"
#include "imap_parse.h"
#include "log.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

bool imap_fail(struct imap *m, enum mailbox_fault f, struct roam_error *e, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(e->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->code = f;
	if (f != MAILBOX_FAULT_REFUSED && f != MAILBOX_FAULT_AUTH && f != MAILBOX_FAULT_IN_USE &&
	    f != MAILBOX_FAULT_GONE)
		m->broken = true;	/* out of step with the server */
	return roam_error_set(e, "IMAP %s: %s", m->what, msg);
}

void imap_begin(struct imap *m, const char *what, unsigned long expect)
{
	snprintf(m->what, sizeof(m->what), "%s", what);
	m->started = now();
	m->in_sink = 0;
	m->expect = expect;
	m->received = 0;
}

static double time_left(const struct imap *m)
{
	unsigned long carried = m->received > m->expect ? m->received : m->expect;

	return m->started + m->budget + (double)carried / FLOOR_RATE + m->in_sink - now();
}

/* waits for fd within the deadline: true when it is ready */
static bool wait_fd(struct imap *m, short events, struct roam_error *e)
{
	for (;;) {
		double left = time_left(m);
		struct pollfd pfd = { .fd = m->fd, .events = events };
		int rc;

		if (left <= 0)
			return imap_fail(m, MAILBOX_FAULT_TIMEOUT, e, "not done within %.0f s (timeout, "
				    "plus 1 s per KiB): the server is too slow",
				    m->budget + (double)(m->received > m->expect ? m->received
										 : m->expect) / FLOOR_RATE);
		rc = poll(&pfd, 1, left > 3600 ? 3600 * 1000 : (int)(left * 1000) + 1);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return imap_fail(m, MAILBOX_FAULT_SOCKET, e, "poll: %s", strerror(errno));
	}
}

static bool send_all(struct imap *m, const char *buf, size_t len, struct roam_error *e)
{
	while (len) {
		ssize_t n = send(m->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (!wait_fd(m, POLLOUT, e))
				return false;
		} else {
			return imap_fail(m, MAILBOX_FAULT_SOCKET, e, "cannot send: %s", strerror(errno));
		}
	}
	return true;
}

static bool fill(struct imap *m, struct roam_error *e)
{
	for (;;) {
		ssize_t n = recv(m->fd, m->in, sizeof(m->in), MSG_DONTWAIT);

		if (n > 0) {
			m->in_pos = 0;
			m->in_len = (size_t)n;
			m->received += (unsigned long)n;
			return true;
		}
		if (n == 0)
			return imap_fail(m, MAILBOX_FAULT_SOCKET, e, "the server closed the connection");
		if (errno != EAGAIN && errno != EINTR)
			return imap_fail(m, MAILBOX_FAULT_SOCKET, e, "%s", strerror(errno));
		if (!wait_fd(m, POLLIN, e))
			return false;
	}
}

/* the next line, without its CRLF, into m->line */
bool imap_read_line(struct imap *m, struct roam_error *e)
{
	m->line_len = 0;
	for (;;) {
		if (m->in_pos == m->in_len && !fill(m, e))
			return false;
		char c = m->in[m->in_pos++];

		if (c == '\n') {
			if (!m->line_len || m->line[m->line_len - 1] != '\r')
				return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a reply line ends without CR");
			m->line[--m->line_len] = '\0';
			return true;
		}
		if (c == '\0')
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a NUL in a reply line");
		if (m->line_len == LINE_MAX_OCTETS)
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a reply line over %d octets",
				    LINE_MAX_OCTETS);
		m->line[m->line_len++] = c;
	}
}

/* n octets of a literal, chunk by chunk into sink (NULL: dropped); the
 * sink's time does not count against the deadline */
static bool read_literal(struct imap *m, unsigned long n, mailbox_sink sink, void *arg,
			 bool *stopped, struct roam_error *e)
{
	while (n) {
		if (m->in_pos == m->in_len && !fill(m, e))
			return false;
		size_t take = m->in_len - m->in_pos;

		if (take > n)
			take = (size_t)n;
		if (sink) {
			double t0 = now();
			bool ok = sink(arg, m->in + m->in_pos, take);

			m->in_sink += now() - t0;
			if (!ok) {
				*stopped = true;
				return imap_fail(m, MAILBOX_FAULT_DELIVERY, e,
					    "delivery stopped the transfer");
			}
		}
		m->in_pos += take;
		n -= take;
	}
	return true;
}

/* the server's line, safe for a log */
const char *imap_shown(const struct imap *m, char *buf)
{
	size_t len = m->line_len < 200 ? m->line_len : 200;

	for (size_t i = 0; i < len; i++)
		buf[i] = m->line[i] >= 0x20 && m->line[i] < 0x7f ? m->line[i] : '?';
	buf[len] = '\0';
	return buf;
}

/* ---- FETCH responses ---------------------------------------------------- */

static uint64_t digest(uint64_t h, const char *data, size_t len)
{
	return dups_digest(h, data, len);
}

struct header_acc {
	struct fetch_items *it;
	char head[32];			/* the first octets: is it a Message-ID field? */
	size_t head_len;
};

static bool on_header(void *arg, const char *data, size_t len)
{
	struct header_acc *h = arg;

	h->it->header_digest = digest(h->it->header_digest, data, len);
	while (len && h->head_len < sizeof(h->head)) {
		h->head[h->head_len++] = *data++;
		len--;
	}
	return true;
}

/* an item's value starting at *p: a number, NIL, a quoted string, a list
 * (skipped) or a literal (its octets read now, then the next line); sink
 * gets the string's octets */
static bool item_value(struct imap *m, const char **p, mailbox_sink sink, void *arg,
		       bool *stopped, struct roam_error *e);

static bool next_line_after_literal(struct imap *m, const char **p, struct roam_error *e)
{
	if (!imap_read_line(m, e))
		return false;
	*p = m->line;
	return true;
}

static bool literal_here(struct imap *m, const char **p, unsigned long cap, unsigned long *n)
{
	const char *end = m->line + m->line_len;

	/* a literal marker ends its line */
	return **p == '{' && imap_literal_size(*p, (size_t)(end - *p), cap, n);
}

static bool skip_list(struct imap *m, const char **p, struct roam_error *e)
{
	int depth = 0;
	bool stopped = false;

	do {
		const char *end = m->line + m->line_len;
		unsigned long n;

		if (*p >= end)
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a list ends with its line");
		if (**p == '(') {
			depth++, (*p)++;
		} else if (**p == ')') {
			depth--, (*p)++;
		} else if (**p == '"') {
			char buf[LINE_MAX_OCTETS];
			size_t len;

			if (!imap_quoted(p, end, buf, sizeof(buf), &len))
				return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed string");
		} else if (**p == '{') {
			if (!literal_here(m, p, SKIP_MAX, &n))
				return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed literal");
			if (!read_literal(m, n, NULL, NULL, &stopped, e) ||
			    !next_line_after_literal(m, p, e))
				return false;
		} else {
			(*p)++;
		}
	} while (depth > 0);
	return true;
}

static bool item_value(struct imap *m, const char **p, mailbox_sink sink, void *arg,
		       bool *stopped, struct roam_error *e)
{
	const char *end = m->line + m->line_len;
	unsigned long n;

	if (*p < end && **p == '(')
		return skip_list(m, p, e);
	if (*p < end && **p == '"') {
		char buf[LINE_MAX_OCTETS];
		size_t len;

		if (!imap_quoted(p, end, buf, sizeof(buf), &len))
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed string");
		if (sink && len && !sink(arg, buf, len))
			return *stopped = true,
			       imap_fail(m, MAILBOX_FAULT_DELIVERY, e, "delivery stopped the transfer");
		return true;
	}
	if (*p < end && **p == '{') {
		if (!literal_here(m, p, sink ? BODY_MAX : SKIP_MAX, &n))
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed or oversized literal");
		return read_literal(m, n, sink, arg, stopped, e) && next_line_after_literal(m, p, e);
	}
	if ((size_t)(end - *p) >= 3 && !strncasecmp(*p, "NIL", 3)) {
		*p += 3;
		return true;
	}
	if (imap_number(p, end, (unsigned long)-1, &n))
		return true;
	return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a FETCH value it cannot read");
}

static bool number_item(struct imap *m, const char **p, unsigned long *v, bool *has,
			struct roam_error *e)
{
	if (!imap_number(p, m->line + m->line_len, (unsigned long)-1, v))
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a FETCH number it cannot read");
	*has = true;
	return true;
}

/* the items of "* N FETCH (" whose rest is at p */
static bool fetch_items(struct imap *m, const char *p, struct fetch_items *it,
			struct roam_error *e)
{
	for (;;) {
		const char *end = m->line + m->line_len;
		size_t n;

		if (p < end && *p == ')')
			return p + 1 == end ? true
					    : imap_fail(m, MAILBOX_FAULT_PROTOCOL, e,
						   "text after a FETCH response");
		if (!(n = imap_item_name(p, end)) || p + n >= end || p[n] != ' ')
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed FETCH item");
		const char *name = p;

		p += n + 1;
		if (n == 3 && !strncasecmp(name, "UID", 3)) {
			if (!number_item(m, &p, &it->uid, &it->has_uid, e))
				return false;
		} else if (n == 11 && !strncasecmp(name, "RFC822.SIZE", 11)) {
			if (!number_item(m, &p, &it->size, &it->has_size, e))
				return false;
		} else if (n == 6 && !strncasecmp(name, "BODY[]", 6) && it->sink) {
			if (it->has_body)
				return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a second body");
			it->has_body = true;
			if (!item_value(m, &p, it->sink, it->sink_arg, &it->sink_stopped, e))
				return false;
		} else if (n > 18 && !strncasecmp(name, "BODY[HEADER.FIELDS", 18)) {
			struct header_acc h = { .it = it };
			bool stopped = false;

			it->header_digest = DUPS_DIGEST_INIT;
			it->has_header = true;
			if (!item_value(m, &p, on_header, &h, &stopped, e))
				return false;
			it->header_has_mid = h.head_len > 11 && !strncasecmp(h.head, "Message-ID:", 11);
		} else if (!item_value(m, &p, NULL, NULL, &it->sink_stopped, e)) {
			return false;
		}
		end = m->line + m->line_len;
		if (p < end && *p == ' ')
			p++;
	}
}

/* ---- commands ----------------------------------------------------------- */

/* an untagged reply: what SELECT and FETCH tell, the rest read and dropped */
static bool untagged(struct imap *m, on_fetch fetch, void *arg, struct fetch_items *proto,
		     struct roam_error *e)
{
	const char *p = m->line + 2, *end = m->line + m->line_len;
	unsigned long n;

	if (!strncasecmp(p, "OK [UIDVALIDITY ", 16)) {
		p += 16;
		if (!imap_number(&p, end, 0xffffffffu, &m->uidvalidity) || !m->uidvalidity)
			return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed UIDVALIDITY");
		return true;
	}
	if (!strncasecmp(p, "CAPABILITY ", 11)) {
		for (const char *w = p + 10; w && w < end; w = strchr(w + 1, ' ')) {
			if (!strncasecmp(w, " UIDPLUS", 8) && (w + 8 == end || w[8] == ' '))
				m->uidplus = true;
			if (!strncasecmp(w, " IDLE", 5) && (w + 5 == end || w[5] == ' '))
				m->idle = true;
		}
		return true;
	}
	if (imap_number(&p, end, (unsigned long)-1, &n) && p < end && *p == ' ') {
		p++;
		if ((size_t)(end - p) == 6 && !strncasecmp(p, "EXISTS", 6)) {
			m->exists = n;
			return true;
		}
		if ((size_t)(end - p) == 7 && !strncasecmp(p, "EXPUNGE", 7)) {
			m->exists -= m->exists > 0;
			return true;
		}
		if ((size_t)(end - p) >= 7 && !strncasecmp(p, "FETCH (", 7)) {
			struct fetch_items it = *proto;

			return fetch_items(m, p + 7, &it, e) && (!fetch || fetch(m, &it, arg, e));
		}
	}
	/* anything else (FLAGS, RECENT, EXPUNGE, BYE…): read to its end, the
	 * literals that end its lines too */
	for (;;) {
		const char *brace = memrchr(m->line, '{', m->line_len);
		bool stopped = false;

		if (!brace || !imap_literal_size(brace, (size_t)(m->line + m->line_len - brace),
						 SKIP_MAX, &n))
			return true;
		if (!read_literal(m, n, NULL, NULL, &stopped, e) || !imap_read_line(m, e))
			return false;
	}
}

/* Reads replies up to the tagged one: *st, with the server's line in m->line */
static bool response(struct imap *m, on_fetch fetch, void *arg, struct fetch_items *proto,
		     enum status *st, struct roam_error *e)
{
	char tag[24];
	size_t tl = (size_t)snprintf(tag, sizeof(tag), "a%lu ", m->tag);
	struct fetch_items none = { 0 };

	for (;;) {
		if (!imap_read_line(m, e))
			return false;
		if (m->line_len >= 2 && !strncmp(m->line, "* ", 2)) {
			if (!untagged(m, fetch, arg, proto ? proto : &none, e))
				return false;
			continue;
		}
		if (m->line_len > tl && !strncmp(m->line, tag, tl)) {
			const char *s = m->line + tl;

			if (!strncasecmp(s, "OK", 2))
				*st = ST_OK;
			else if (!strncasecmp(s, "NO", 2))
				*st = ST_NO;
			else if (!strncasecmp(s, "BAD", 3))
				*st = ST_BAD;
			else
				return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed status");
			return true;
		}
		char buf[201];

		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "unexpected reply `%s'", imap_shown(m, buf));
	}
}

/* a string argument: quoted when every octet may be, else a literal
 * (synchronizing: the server's "+" first) */
static bool put_string(struct imap *m, char *cmd, size_t *len, size_t cap, const char *s,
		       struct roam_error *e)
{
	bool quotable = strlen(s) < 1000;

	for (const char *c = s; *c && quotable; c++)
		quotable = *c >= 0x20 && *c < 0x7f;
	if (quotable) {
		cmd[(*len)++] = '"';
		for (const char *c = s; *c; c++) {
			if (*len + 3 >= cap)
				return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "argument too long");
			if (*c == '"' || *c == '\\')
				cmd[(*len)++] = '\\';
			cmd[(*len)++] = *c;
		}
		cmd[(*len)++] = '"';
		return true;
	}
	*len += (size_t)snprintf(cmd + *len, cap - *len, "{%zu}\r\n", strlen(s));
	if (*len >= cap || !send_all(m, cmd, *len, e) || !imap_read_line(m, e))
		return *len >= cap ? imap_fail(m, MAILBOX_FAULT_LOCAL, e, "argument too long") : false;
	if (m->line[0] != '+')
		return imap_fail(m, MAILBOX_FAULT_REFUSED, e, "a literal argument refused");
	*len = 0;
	return send_all(m, s, strlen(s), e);
}

/* "aN VERB[ ARG…]" with up to two string arguments; the reply read */
bool imap_command(struct imap *m, const char *what, const char *verb, const char *s1,
		    const char *s2, on_fetch fetch, void *arg, struct fetch_items *proto,
		    enum status *st, struct roam_error *e)
{
	char cmd[4096];
	size_t len;

	if (m->broken)
		return imap_fail(m, MAILBOX_FAULT_PROTOCOL, e, "the session is out of step");
	if (what)
		imap_begin(m, what, proto && proto->sink ? proto->size : 0);
	m->commands++;
	len = (size_t)snprintf(cmd, sizeof(cmd), "a%lu %s", ++m->tag, verb);
	if (len >= sizeof(cmd))
		return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "command too long");
	if (s1 || s2)
		roam_debug("> a%lu %s (arguments not shown)", m->tag, verb);
	else
		roam_debug("> a%lu %s", m->tag, verb);
	for (const char *s = s1; s; s = s == s1 ? s2 : NULL) {
		cmd[len++] = ' ';
		if (!put_string(m, cmd, &len, sizeof(cmd) - 2, s, e))
			return false;
	}
	cmd[len++] = '\r';
	cmd[len++] = '\n';
	return send_all(m, cmd, len, e) && response(m, fetch, arg, proto, st, e);
}

/* a command that must be OK: NO is the server's refusal, BAD a protocol error */
bool imap_command_ok(struct imap *m, const char *what, const char *verb, const char *s1,
		       on_fetch fetch, void *arg, struct fetch_items *proto, struct roam_error *e)
{
	enum status st;
	char buf[201];

	if (!imap_command(m, what, verb, s1, NULL, fetch, arg, proto, &st, e))
		return false;
	if (st == ST_OK)
		return true;
	return imap_fail(m, st == ST_NO ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL, e,
		    "refused (server: %s)", imap_shown(m, buf));
}

bool imap_connect(struct imap *m, struct roam_error *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(m->o.socket_path) >= sizeof(a.sun_path))
		return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "socket path too long");
	memcpy(a.sun_path, m->o.socket_path, strlen(m->o.socket_path));
	m->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || connect(m->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return imap_fail(m, MAILBOX_FAULT_SOCKET, e, "cannot reach the transport: %s",
			    strerror(errno));
	return true;
}


bool imap_send_line(struct imap *m, const char *line, struct roam_error *e)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return imap_fail(m, MAILBOX_FAULT_LOCAL, e, "line too long");
	roam_debug("> %s", line);
	m->commands++;
	return send_all(m, buf, (size_t)n, e);
}

bool imap_readable(struct imap *m, int ms)
{
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };

	return m->in_pos < m->in_len || poll(&pfd, 1, ms) > 0;
}

bool imap_untagged_line(struct imap *m, struct roam_error *e)
{
	struct fetch_items none = { 0 };

	return untagged(m, NULL, NULL, &none, e);
}

bool imap_response(struct imap *m, enum status *st, struct roam_error *e)
{
	return response(m, NULL, NULL, NULL, st, e);
}
