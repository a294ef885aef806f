/* SPDX-License-Identifier: MIT */
/*
 * imap.c — mailbox_imap (mailbox.h): one IMAP4rev1 session over the local
 * socket of transport.h, spoken here directly, lock-step, one command at a
 * time: LOGIN, CAPABILITY, SELECT (EXAMINE with keep), UID FETCH for the
 * listing and for each body, UID STORE +FLAGS.SILENT (\Deleted), UID EXPUNGE
 * (UIDPLUS) or EXPUNGE, LOGOUT.
 *
 * Why not libcurl's IMAP: it fetches one message per transfer through a URL
 * (;UID=), cannot list UID and size with a header field in one command,
 * knows no UID EXPUNGE, and would hand us the body only through its write
 * callback with its own idea of where the literal ends. The subset needed is
 * small, and with it each reply is parsed strictly here (imap_parse.h), every
 * literal is counted to its last octet before a body is called whole, and
 * the same stream can later carry IDLE, which libcurl lacks.
 *
 * Keys: a message is "UIDVALIDITY.UID" in the record; the listing's epoch is
 * "imap-uidvalidity.UIDVALIDITY", and each message's alt key
 * "mid.DIGEST.SIZE" (FNV-1a 64 of its Message-ID header field as the server
 * gives it, and RFC822.SIZE): after a UIDVALIDITY change, run.c takes a
 * message whose alt key is recorded for delivered. A message without a
 * Message-ID has no alt key and is fetched again after such a change.
 *
 * Deadlines as in POP3 (mailbox_opts.timeout): a command must end within
 * timeout seconds plus one per KiB it carries (a body: RFC822.SIZE), not
 * counting the sink's time; greeting and login together have twice timeout.
 */
#include <errno.h>
#include <inttypes.h>
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
#include "imap_parse.h"
#include "log.h"
#include "mailbox.h"

enum {
	LINE_MAX_OCTETS = 8192,		/* one reply line up to CRLF or a literal */
	HEADER_MAX = 64 << 10,		/* the Message-ID field's literal */
	SKIP_MAX = 1 << 20,		/* a literal we did not ask for */
	FLOOR_RATE = 1024,		/* octets a second a command may drip */
	EXPUNGE_CHUNK = 200,		/* UIDs per UID EXPUNGE command */
};

#define BODY_MAX ((unsigned long)1 << 40)

struct imap {
	struct mailbox base;		/* first: a struct mailbox * is a struct imap * */
	struct mailbox_opts o;
	int fd;
	enum mailbox_fault code;
	bool broken, selected, uidplus;
	unsigned long tag, commands;
	char in[16384];
	size_t in_pos, in_len;
	char line[LINE_MAX_OCTETS + 1];
	size_t line_len;
	/* the command's deadline */
	double started, in_sink;
	unsigned long expect, received;
	int budget;			/* seconds: timeout, or twice for the login */
	char what[64];			/* the command, for messages */
	unsigned long uidvalidity, exists;
	unsigned long *removed;		/* UIDs marked \Deleted, not yet expunged */
	size_t nremoved, removed_cap;
};

/* what one FETCH response gave */
struct fetch_items {
	unsigned long uid, size;
	bool has_uid, has_size, has_body, has_header;
	uint64_t header_digest;
	bool header_has_mid;
	/* BODY[] goes here when set */
	mailbox_sink sink;
	void *sink_arg;
	bool sink_stopped;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static bool fail(struct imap *m, enum mailbox_fault f, struct roam_error *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool fail(struct imap *m, enum mailbox_fault f, struct roam_error *e, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(e->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->code = f;
	if (f != MAILBOX_FAULT_REFUSED && f != MAILBOX_FAULT_AUTH && f != MAILBOX_FAULT_IN_USE)
		m->broken = true;	/* out of step with the server */
	return roam_error_set(e, "IMAP %s: %s", m->what, msg);
}

static void begin(struct imap *m, const char *what, unsigned long expect)
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
			return fail(m, MAILBOX_FAULT_TIMEOUT, e, "not done within %.0f s (timeout, "
				    "plus 1 s per KiB): the server is too slow",
				    m->budget + (double)(m->received > m->expect ? m->received
										 : m->expect) / FLOOR_RATE);
		rc = poll(&pfd, 1, left > 3600 ? 3600 * 1000 : (int)(left * 1000) + 1);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return fail(m, MAILBOX_FAULT_SOCKET, e, "poll: %s", strerror(errno));
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
			return fail(m, MAILBOX_FAULT_SOCKET, e, "cannot send: %s", strerror(errno));
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
			return fail(m, MAILBOX_FAULT_SOCKET, e, "the server closed the connection");
		if (errno != EAGAIN && errno != EINTR)
			return fail(m, MAILBOX_FAULT_SOCKET, e, "%s", strerror(errno));
		if (!wait_fd(m, POLLIN, e))
			return false;
	}
}

/* the next line, without its CRLF, into m->line */
static bool read_line(struct imap *m, struct roam_error *e)
{
	m->line_len = 0;
	for (;;) {
		if (m->in_pos == m->in_len && !fill(m, e))
			return false;
		char c = m->in[m->in_pos++];

		if (c == '\n') {
			if (!m->line_len || m->line[m->line_len - 1] != '\r')
				return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a reply line ends without CR");
			m->line[--m->line_len] = '\0';
			return true;
		}
		if (c == '\0')
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a NUL in a reply line");
		if (m->line_len == LINE_MAX_OCTETS)
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a reply line over %d octets",
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
				return fail(m, MAILBOX_FAULT_DELIVERY, e,
					    "delivery stopped the transfer");
			}
		}
		m->in_pos += take;
		n -= take;
	}
	return true;
}

/* the server's line, safe for a log */
static const char *shown(const struct imap *m, char *buf)
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
	if (!read_line(m, e))
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
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a list ends with its line");
		if (**p == '(') {
			depth++, (*p)++;
		} else if (**p == ')') {
			depth--, (*p)++;
		} else if (**p == '"') {
			char buf[LINE_MAX_OCTETS];
			size_t len;

			if (!imap_quoted(p, end, buf, sizeof(buf), &len))
				return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed string");
		} else if (**p == '{') {
			if (!literal_here(m, p, SKIP_MAX, &n))
				return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed literal");
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
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed string");
		if (sink && len && !sink(arg, buf, len))
			return *stopped = true,
			       fail(m, MAILBOX_FAULT_DELIVERY, e, "delivery stopped the transfer");
		return true;
	}
	if (*p < end && **p == '{') {
		if (!literal_here(m, p, sink ? BODY_MAX : SKIP_MAX, &n))
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed or oversized literal");
		return read_literal(m, n, sink, arg, stopped, e) && next_line_after_literal(m, p, e);
	}
	if ((size_t)(end - *p) >= 3 && !strncasecmp(*p, "NIL", 3)) {
		*p += 3;
		return true;
	}
	if (imap_number(p, end, (unsigned long)-1, &n))
		return true;
	return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a FETCH value it cannot read");
}

static bool number_item(struct imap *m, const char **p, unsigned long *v, bool *has,
			struct roam_error *e)
{
	if (!imap_number(p, m->line + m->line_len, (unsigned long)-1, v))
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a FETCH number it cannot read");
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
					    : fail(m, MAILBOX_FAULT_PROTOCOL, e,
						   "text after a FETCH response");
		if (!(n = imap_item_name(p, end)) || p + n >= end || p[n] != ' ')
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed FETCH item");
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
				return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a second body");
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

typedef bool (*on_fetch)(struct imap *m, const struct fetch_items *it, void *arg,
			 struct roam_error *e);

/* an untagged reply: what SELECT and FETCH tell, the rest read and dropped */
static bool untagged(struct imap *m, on_fetch fetch, void *arg, struct fetch_items *proto,
		     struct roam_error *e)
{
	const char *p = m->line + 2, *end = m->line + m->line_len;
	unsigned long n;

	if (!strncasecmp(p, "OK [UIDVALIDITY ", 16)) {
		p += 16;
		if (!imap_number(&p, end, 0xffffffffu, &m->uidvalidity) || !m->uidvalidity)
			return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed UIDVALIDITY");
		return true;
	}
	if (!strncasecmp(p, "CAPABILITY ", 11)) {
		for (const char *w = p + 10; w && w < end; w = strchr(w + 1, ' '))
			if (!strncasecmp(w, " UIDPLUS", 8) && (w + 8 == end || w[8] == ' '))
				m->uidplus = true;
		return true;
	}
	if (imap_number(&p, end, (unsigned long)-1, &n) && p < end && *p == ' ') {
		p++;
		if ((size_t)(end - p) == 6 && !strncasecmp(p, "EXISTS", 6)) {
			m->exists = n;
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
		if (!read_literal(m, n, NULL, NULL, &stopped, e) || !read_line(m, e))
			return false;
	}
}

enum status { ST_OK, ST_NO, ST_BAD };

/* Reads replies up to the tagged one: *st, with the server's line in m->line */
static bool response(struct imap *m, on_fetch fetch, void *arg, struct fetch_items *proto,
		     enum status *st, struct roam_error *e)
{
	char tag[24];
	size_t tl = (size_t)snprintf(tag, sizeof(tag), "a%lu ", m->tag);
	struct fetch_items none = { 0 };

	for (;;) {
		if (!read_line(m, e))
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
				return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a malformed status");
			return true;
		}
		char buf[201];

		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "unexpected reply `%s'", shown(m, buf));
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
				return fail(m, MAILBOX_FAULT_LOCAL, e, "argument too long");
			if (*c == '"' || *c == '\\')
				cmd[(*len)++] = '\\';
			cmd[(*len)++] = *c;
		}
		cmd[(*len)++] = '"';
		return true;
	}
	*len += (size_t)snprintf(cmd + *len, cap - *len, "{%zu}\r\n", strlen(s));
	if (*len >= cap || !send_all(m, cmd, *len, e) || !read_line(m, e))
		return *len >= cap ? fail(m, MAILBOX_FAULT_LOCAL, e, "argument too long") : false;
	if (m->line[0] != '+')
		return fail(m, MAILBOX_FAULT_REFUSED, e, "a literal argument refused");
	*len = 0;
	return send_all(m, s, strlen(s), e);
}

/* "aN VERB[ ARG…]" with up to two string arguments; the reply read */
static bool command(struct imap *m, const char *what, const char *verb, const char *s1,
		    const char *s2, on_fetch fetch, void *arg, struct fetch_items *proto,
		    enum status *st, struct roam_error *e)
{
	char cmd[4096];
	size_t len;

	if (m->broken)
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "the session is out of step");
	if (what)
		begin(m, what, proto && proto->sink ? proto->size : 0);
	m->commands++;
	len = (size_t)snprintf(cmd, sizeof(cmd), "a%lu %s", ++m->tag, verb);
	if (len >= sizeof(cmd))
		return fail(m, MAILBOX_FAULT_LOCAL, e, "command too long");
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
static bool command_ok(struct imap *m, const char *what, const char *verb, const char *s1,
		       on_fetch fetch, void *arg, struct fetch_items *proto, struct roam_error *e)
{
	enum status st;
	char buf[201];

	if (!command(m, what, verb, s1, NULL, fetch, arg, proto, &st, e))
		return false;
	if (st == ST_OK)
		return true;
	return fail(m, st == ST_NO ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL, e,
		    "refused (server: %s)", shown(m, buf));
}

/* ---- the session -------------------------------------------------------- */

static bool connect_socket(struct imap *m, struct roam_error *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(m->o.socket_path) >= sizeof(a.sun_path))
		return fail(m, MAILBOX_FAULT_LOCAL, e, "socket path too long");
	memcpy(a.sun_path, m->o.socket_path, strlen(m->o.socket_path));
	m->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || connect(m->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail(m, MAILBOX_FAULT_SOCKET, e, "cannot reach the transport: %s",
			    strerror(errno));
	return true;
}

static bool login(struct imap *m, struct roam_error *e)
{
	enum status st;
	char buf[201];

	m->budget = 2 * m->o.timeout;	/* greeting and login */
	begin(m, "greeting", 0);
	if (!connect_socket(m, e) || !read_line(m, e))
		return false;
	if (!strncasecmp(m->line, "* BYE", 5))
		return fail(m, MAILBOX_FAULT_REFUSED, e, "refused (server: %s)", shown(m, buf));
	if (strncasecmp(m->line, "* OK", 4) && strncasecmp(m->line, "* PREAUTH", 9))
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "not an IMAP greeting: `%s'",
			    shown(m, buf));
	if (strncasecmp(m->line, "* PREAUTH", 9)) {
		begin(m, "LOGIN", 0);
		if (!command(m, NULL, "LOGIN", m->o.user, m->o.password, NULL, NULL, NULL, &st, e))
			return false;
		if (st != ST_OK) {
			enum mailbox_fault f = strstr(m->line, "[UNAVAILABLE]") ? MAILBOX_FAULT_REFUSED
					       : strstr(m->line, "[INUSE]")	  ? MAILBOX_FAULT_IN_USE
					       : st == ST_NO ? MAILBOX_FAULT_AUTH
							     : MAILBOX_FAULT_PROTOCOL;

			return fail(m, f, e, "refused (server: %s)", shown(m, buf));
		}
	}
	m->budget = m->o.timeout;
	return command_ok(m, "CAPABILITY", "CAPABILITY", NULL, NULL, NULL, NULL, e);
}

static bool select_folder(struct imap *m, struct roam_error *e)
{
	enum status st;
	char what[64], buf[201];

	snprintf(what, sizeof(what), "%s", m->o.keep ? "EXAMINE" : "SELECT");
	m->uidvalidity = 0;
	if (!command(m, what, what, m->o.folder, NULL, NULL, NULL, NULL, &st, e))
		return false;
	if (st != ST_OK)
		return fail(m, st == ST_NO ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL, e,
			    "folder `%s' refused (server: %s)", m->o.folder, shown(m, buf));
	if (!m->uidvalidity)
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "folder `%s': no UIDVALIDITY",
			    m->o.folder);
	m->selected = true;
	return true;
}

static struct mailbox *imap_open(const struct mailbox_opts *o, struct roam_error *e)
{
	struct imap *m = calloc(1, sizeof(*m));

	if (!m) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	m->base.ops = &mailbox_imap;
	m->o = *o;
	m->fd = -1;
	m->budget = o->timeout;
	return &m->base;
}

struct listing_acc {
	struct mailbox_listing *l;
	size_t cap;
};

static bool add_msg(struct imap *m, const struct fetch_items *it, void *arg,
		    struct roam_error *e)
{
	struct listing_acc *acc = arg;
	struct mailbox_listing *l = acc->l;
	struct mailbox_msg *msg;

	if (!it->has_uid || !it->has_size)	/* unsolicited (a flag changed) */
		return true;
	if (!it->uid || (l->n && it->uid <= l->msgs[l->n - 1].num))
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "UID %lu out of order", it->uid);
	if (l->n == LISTING_MESSAGES_MAX)
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "more than %d messages",
			    LISTING_MESSAGES_MAX);
	if (l->n == acc->cap) {
		size_t cap = acc->cap ? 2 * acc->cap : 64;
		void *grown = realloc(l->msgs, cap * sizeof(*l->msgs));

		if (!grown)
			return fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
		l->msgs = grown;
		acc->cap = cap;
	}
	msg = &l->msgs[l->n];
	*msg = (struct mailbox_msg){ .num = it->uid, .size = it->size };
	if (asprintf(&msg->uidl, "%lu.%lu", m->uidvalidity, it->uid) < 0 ||
	    (it->has_header && it->header_has_mid &&
	     asprintf(&msg->alt, "mid.%016" PRIx64 ".%lu", it->header_digest, it->size) < 0)) {
		free(msg->uidl);
		return fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
	}
	l->n++;
	return true;
}

static bool imap_list(struct mailbox *mb, struct mailbox_listing *l, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	struct fetch_items proto = { 0 };
	struct listing_acc acc = { .l = l };

	*l = (struct mailbox_listing){ 0 };
	if (!m->selected && !((m->fd >= 0 || login(m, e)) && select_folder(m, e)))
		return false;
	if (asprintf(&l->epoch, "imap-uidvalidity.%lu", m->uidvalidity) < 0)
		return l->epoch = NULL, fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
	/* UIDs rise with sequence numbers (RFC 3501 2.3.1.1): add_msg checks it */
	if (m->exists &&
	    !command_ok(m, "UID FETCH (listing)",
			"UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
			NULL, add_msg, &acc, &proto, e)) {
		listing_free(l);
		return false;
	}
	return true;
}

static bool imap_plan(struct mailbox *mb, const struct mailbox_ref *refs, size_t n,
		      struct roam_error *e)
{
	(void)mb, (void)refs, (void)n, (void)e;	/* lock-step: nothing to ask ahead */
	return true;
}

struct body_wait {
	const struct mailbox_msg *msg;
	bool got;
};

static bool body_seen(struct imap *m, const struct fetch_items *it, void *arg,
		      struct roam_error *e)
{
	struct body_wait *w = arg;

	if (!it->has_body)
		return true;	/* unsolicited (a flag changed) */
	if (!it->has_uid || it->uid != w->msg->num || w->got)
		return fail(m, MAILBOX_FAULT_PROTOCOL, e, "a body that is not UID %lu's",
			    w->msg->num);
	w->got = true;
	return true;
}

/* The body streams into sink while its literal is read: it is whole when the
 * literal's last octet came and the response's tagged OK followed. */
static bool imap_fetch(struct mailbox *mb, const struct mailbox_msg *msg, mailbox_sink sink,
		       void *arg, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	struct fetch_items proto = { .sink = sink, .sink_arg = arg, .size = msg->size };
	struct body_wait w = { .msg = msg };
	char verb[64], what[64];
	enum status st;
	char buf[201];

	snprintf(verb, sizeof(verb), "UID FETCH %lu (BODY.PEEK[])", msg->num);
	snprintf(what, sizeof(what), "UID FETCH %lu", msg->num);
	if (!command(m, what, verb, NULL, NULL, body_seen, &w, &proto, &st, e))
		return false;
	if (st != ST_OK)
		return fail(m, st == ST_NO ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL, e,
			    "refused (server: %s)", shown(m, buf));
	if (!w.got)
		return fail(m, MAILBOX_FAULT_REFUSED, e, "no such message any more (expunged by "
			    "another client?)");
	return true;
}

static bool imap_remove(struct mailbox *mb, const struct mailbox_msg *msg, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;
	char verb[64], what[64];

	if (m->nremoved == m->removed_cap) {
		size_t cap = m->removed_cap ? 2 * m->removed_cap : 64;
		unsigned long *grown = realloc(m->removed, cap * sizeof(*grown));

		if (!grown)
			return fail(m, MAILBOX_FAULT_LOCAL, e, "out of memory");
		m->removed = grown;
		m->removed_cap = cap;
	}
	snprintf(verb, sizeof(verb), "UID STORE %lu +FLAGS.SILENT (\\Deleted)", msg->num);
	snprintf(what, sizeof(what), "UID STORE %lu", msg->num);
	if (!command_ok(m, what, verb, NULL, NULL, NULL, NULL, e))
		return false;
	m->removed[m->nremoved++] = msg->num;
	return true;
}

/* UID EXPUNGE of what this run marked (UIDPLUS), else EXPUNGE: the latter
 * also removes what other clients marked \Deleted in this folder */
static bool imap_prove(struct mailbox *mb, struct roam_error *e)
{
	struct imap *m = (struct imap *)mb;

	if (!m->nremoved)
		return true;
	if (!m->uidplus) {
		if (!command_ok(m, "EXPUNGE", "EXPUNGE", NULL, NULL, NULL, NULL, e))
			return false;
		m->nremoved = 0;
		return true;
	}
	for (size_t i = 0; i < m->nremoved; i += EXPUNGE_CHUNK) {
		char verb[EXPUNGE_CHUNK * 12 + 16];
		size_t len = (size_t)snprintf(verb, sizeof(verb), "UID EXPUNGE ");

		for (size_t j = i; j < m->nremoved && j < i + EXPUNGE_CHUNK; j++)
			len += (size_t)snprintf(verb + len, sizeof(verb) - len, "%s%lu",
						j > i ? "," : "", m->removed[j]);
		if (!command_ok(m, "UID EXPUNGE", verb, NULL, NULL, NULL, NULL, e))
			return false;
	}
	m->nremoved = 0;
	return true;
}

static void imap_close(struct mailbox *mb)
{
	struct imap *m = (struct imap *)mb;
	struct roam_error e = { "" };
	enum status st;

	if (!m)
		return;
	if (m->fd >= 0 && !m->broken) {
		m->budget = m->o.timeout;
		if (!command(m, "LOGOUT", "LOGOUT", NULL, NULL, NULL, NULL, NULL, &st, &e))
			roam_warn("%s", e.msg);
	}
	if (m->fd >= 0)
		close(m->fd);
	free(m->removed);
	free(m);
}

static enum mailbox_fault imap_fault(const struct mailbox *mb)
{
	return ((const struct imap *)mb)->code;
}

static unsigned long imap_commands(const struct mailbox *mb)
{
	return ((const struct imap *)mb)->commands;
}

const struct mailbox_ops mailbox_imap = {
	.name = "imap", .label = "IMAP", .default_port = 143,
	.open = imap_open, .list = imap_list, .plan = imap_plan, .fetch = imap_fetch,
	.remove = imap_remove, .prove = imap_prove, .close = imap_close, .fault = imap_fault,
	.commands = imap_commands,
};
