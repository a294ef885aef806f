/* SPDX-License-Identifier: MIT */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mailbox.h"
#include "listing.h"
#include "log.h"
#include "pop3_pipe.h"

enum {
	IN_SIZE = 64 * 1024,	/* one recv's worth; a body streams through it */
	FLOOR_RATE = 1024,	/* octets a second a reply may carry at the least */
};

struct pop3_pipe {
	CURL *h;
	curl_socket_t fd;
	int timeout;
	bool broken;
	enum mailbox_fault code;
	unsigned long commands;
	char last_reply[3 * 80 + 1];
	/* commands not yet taken by the socket */
	char *out;
	size_t out_len, out_cap;
	/* commands sent, replies not yet read: q[q_head .. q_len) */
	struct pipe_cmd *q;
	size_t q_head, q_len, q_cap;
	/* the reply being read */
	double started, in_handler;
	unsigned long long received;
	char line[REPLY_LINE_MAX + 1];
	size_t line_len;
	/* octets received, not yet parsed: in[in_pos .. in_len) */
	char in[IN_SIZE];
	size_t in_pos, in_len;
	char chunk[IN_SIZE + 2];	/* a body chunk, unstuffed */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

struct pop3_pipe *pipe_new(CURL *h, int timeout, struct roam_error *e)
{
	struct pop3_pipe *pp = calloc(1, sizeof(*pp));
	curl_socket_t fd = CURL_SOCKET_BAD;

	if (!pp) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD) {
		free(pp);
		roam_error_set(e, "POP3: libcurl kept no connection after the login");
		return NULL;
	}
	pp->h = h;
	pp->fd = fd;
	pp->timeout = timeout;
	pp->code = MAILBOX_FAULT_PROTOCOL;
	return pp;
}

void pipe_free(struct pop3_pipe *pp)
{
	if (!pp)
		return;
	free(pp->out);
	free(pp->q);
	free(pp);
}

static bool fail(struct pop3_pipe *pp, enum mailbox_fault code)
{
	pp->broken = true;
	pp->code = code;
	return false;
}

/* what the socket takes now, without waiting */
static bool flush(struct pop3_pipe *pp, const char *what, struct roam_error *e)
{
	while (pp->out_len) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(pp->h, pp->out, pp->out_len, &n);

		if (rc == CURLE_AGAIN)
			return true;
		if (rc != CURLE_OK)
			return roam_error_set(e, "POP3 %s: cannot send: %s", what,
					      curl_easy_strerror(rc)), fail(pp, MAILBOX_FAULT_SOCKET);
		memmove(pp->out, pp->out + n, pp->out_len - n);
		pp->out_len -= n;
	}
	return true;
}

static bool queue_cmd(struct pop3_pipe *pp, const struct pipe_cmd *c)
{
	if (pp->q_head == pp->q_len)
		pp->q_head = pp->q_len = 0;
	if (pp->q_len == pp->q_cap) {
		size_t cap = pp->q_cap ? 2 * pp->q_cap : 64;
		struct pipe_cmd *q = realloc(pp->q, cap * sizeof(*q));

		if (!q)
			return false;
		pp->q = q;
		pp->q_cap = cap;
	}
	pp->q[pp->q_len++] = *c;
	return true;
}

bool pipe_send(struct pop3_pipe *pp, const char *verb, unsigned long num,
	       enum pipe_kind kind, unsigned long octets, struct roam_error *e)
{
	struct pipe_cmd c = { .num = num, .octets = octets, .kind = kind, .sent = now() };
	char line[32];
	int n;

	if (pp->broken)
		return roam_error_set(e, "POP3 %s: the session is broken", verb);
	snprintf(c.verb, sizeof(c.verb), "%s", verb);
	n = num ? snprintf(line, sizeof(line), "%s %lu\r\n", c.verb, num)
		: snprintf(line, sizeof(line), "%s\r\n", c.verb);
	if (pp->out_len + (size_t)n > pp->out_cap) {
		size_t cap = pp->out_cap ? 2 * pp->out_cap : 1024;
		char *out = realloc(pp->out, cap);

		if (!out)
			return roam_error_set(e, "out of memory"), fail(pp, MAILBOX_FAULT_LOCAL);
		pp->out = out;
		pp->out_cap = cap;
	}
	if (!queue_cmd(pp, &c))
		return roam_error_set(e, "out of memory"), fail(pp, MAILBOX_FAULT_LOCAL);
	memcpy(pp->out + pp->out_len, line, (size_t)n);
	pp->out_len += (size_t)n;
	pp->commands++;
	roam_debug("> %.*s", n - 2, line);
	return flush(pp, c.verb, e);
}

void pipe_describe(const struct pipe_cmd *c, char *what, size_t size)
{
	if (c->num)
		snprintf(what, size, "%s %lu", c->verb, c->num);
	else
		snprintf(what, size, "%s", c->verb);
}

/* seconds left for the reply of c */
static double time_left(const struct pop3_pipe *pp, const struct pipe_cmd *c)
{
	double allowed = pp->timeout + (double)c->octets / FLOOR_RATE;

	if (c->kind == PIPE_LINES)
		allowed += (double)pp->received / FLOOR_RATE;
	return allowed - (now() - pp->started - pp->in_handler);
}

static bool timed_out(struct pop3_pipe *pp, const struct pipe_cmd *c, struct roam_error *e)
{
	char what[32];

	pipe_describe(c, what, sizeof(what));
	roam_error_set(e, "POP3 %s: not done within %.0f s (timeout, plus 1 s per KiB): the "
		       "server is too slow", what, pp->timeout + (double)c->octets / FLOOR_RATE +
		       (c->kind == PIPE_LINES ? (double)pp->received / FLOOR_RATE : 0));
	return fail(pp, MAILBOX_FAULT_TIMEOUT);
}

/* one recv into in[], waiting (and writing) within c's deadline */
static bool fill(struct pop3_pipe *pp, const struct pipe_cmd *c, struct roam_error *e)
{
	char what[32];

	pipe_describe(c, what, sizeof(what));
	for (;;) {
		size_t n = 0;
		CURLcode rc = curl_easy_recv(pp->h, pp->in, sizeof(pp->in), &n);
		double left;

		if (rc == CURLE_OK && n) {
			pp->in_pos = 0;
			pp->in_len = n;
			pp->received += n;
			return true;
		}
		if (rc == CURLE_OK)
			return roam_error_set(e, "POP3 %s: the server closed the connection",
					      what), fail(pp, MAILBOX_FAULT_SOCKET);
		if (rc != CURLE_AGAIN)
			return roam_error_set(e, "POP3 %s: %s", what, curl_easy_strerror(rc)),
			       fail(pp, MAILBOX_FAULT_SOCKET);
		if ((left = time_left(pp, c)) <= 0)
			return timed_out(pp, c, e);
		struct pollfd pfd = { .fd = pp->fd,
				      .events = POLLIN | (pp->out_len ? POLLOUT : 0) };
		int ms = left > 3600 ? 3600 * 1000 : (int)(left * 1000) + 1;

		if (poll(&pfd, 1, ms) > 0 && (pfd.revents & POLLOUT) && !flush(pp, what, e))
			return false;
	}
}

static bool malformed(struct pop3_pipe *pp, const struct pipe_cmd *c, const char *line,
		      size_t len, struct roam_error *e)
{
	char what[32], shown[3 * 80 + 1];	/* the server's bytes, never raw into a log */

	pipe_describe(c, what, sizeof(what));
	listing_show(line, len < 80 ? len : 80, shown);
	roam_error_set(e, "POP3 %s: malformed reply line `%s'", what, shown);
	return fail(pp, MAILBOX_FAULT_PROTOCOL);
}

/* the status line, CRLF-terminated, at most REPLY_LINE_MAX octets */
static bool read_status(struct pop3_pipe *pp, const struct pipe_cmd *c,
			enum reply_status *status, struct roam_error *e)
{
	pp->line_len = 0;
	for (;;) {
		if (pp->in_pos == pp->in_len && !fill(pp, c, e))
			return false;
		const char *start = pp->in + pp->in_pos;
		const char *lf = memchr(start, '\n', pp->in_len - pp->in_pos);
		size_t n = lf ? (size_t)(lf - start) + 1 : pp->in_len - pp->in_pos;

		if (pp->line_len + n > REPLY_LINE_MAX)
			return malformed(pp, c, pp->line, pp->line_len, e);
		memcpy(pp->line + pp->line_len, start, n);
		pp->line_len += n;
		pp->in_pos += n;
		if (lf)
			break;
	}
	if (pp->line_len < 2 || pp->line[pp->line_len - 2] != '\r')
		return malformed(pp, c, pp->line, pp->line_len - 1, e);
	if ((*status = reply_status(pp->line, pp->line_len - 2)) == REPLY_BAD)
		return malformed(pp, c, pp->line, pp->line_len - 2, e);
	listing_show(pp->line, pp->line_len - 2 < 80 ? pp->line_len - 2 : 80, pp->last_reply);
	roam_debug("< %s", pp->last_reply);
	return true;
}

static bool to_handler(struct pop3_pipe *pp, pipe_data data, void *arg, const char *buf,
		       size_t len)
{
	double t0 = now();
	bool ok = data(arg, buf, len);

	pp->in_handler += now() - t0;
	return ok;
}

/* a listing's lines out of an unstuffed chunk */
static bool split_lines(struct pop3_pipe *pp, const struct pipe_cmd *c, pipe_data data,
			void *arg, const char *buf, size_t len, struct roam_error *e)
{
	for (size_t i = 0; i < len; i++) {
		if (pp->line_len == REPLY_LINE_MAX)
			return malformed(pp, c, pp->line, pp->line_len, e);
		pp->line[pp->line_len++] = buf[i];
		if (buf[i] != '\n')
			continue;
		if (pp->line_len < 2 || pp->line[pp->line_len - 2] != '\r')
			return malformed(pp, c, pp->line, pp->line_len - 1, e);
		if (data && !to_handler(pp, data, arg, pp->line, pp->line_len - 2))
			return fail(pp, MAILBOX_FAULT_DELIVERY);
		pp->line_len = 0;
	}
	return true;
}

static bool read_body(struct pop3_pipe *pp, const struct pipe_cmd *c, pipe_data data,
		      void *arg, struct roam_error *e)
{
	struct reply_body b;
	bool done = false;

	reply_body_init(&b, c->kind == PIPE_BODY);
	pp->line_len = 0;
	while (!done) {
		size_t olen;

		if (pp->in_pos == pp->in_len && !fill(pp, c, e))
			return false;
		pp->in_pos += reply_body_feed(&b, pp->in + pp->in_pos, pp->in_len - pp->in_pos,
					      pp->chunk, &olen, &done);
		if (c->kind == PIPE_LINES) {
			if (!split_lines(pp, c, data, arg, pp->chunk, olen, e))
				return false;
		} else if (olen && data && !to_handler(pp, data, arg, pp->chunk, olen)) {
			return fail(pp, MAILBOX_FAULT_DELIVERY);
		}
	}
	if (pp->line_len)	/* cannot be: a body ends after CRLF; kept as a guard */
		return malformed(pp, c, pp->line, pp->line_len, e);
	return true;
}

bool pipe_read(struct pop3_pipe *pp, pipe_data data, void *arg, enum reply_status *status,
	       struct roam_error *e)
{
	const struct pipe_cmd *c = pipe_next(pp);

	if (pp->broken || !c)
		return roam_error_set(e, "POP3: no reply awaited"), false;
	/* from now: the time we spent elsewhere is not the server's */
	pp->started = now();
	pp->in_handler = 0;
	pp->received = 0;
	if (!read_status(pp, c, status, e))
		return false;
	if (*status == REPLY_OK && c->kind != PIPE_STATUS && !read_body(pp, c, data, arg, e))
		return false;
	pp->q_head++;
	return true;
}

const struct pipe_cmd *pipe_next(const struct pop3_pipe *pp)
{
	return pp->q_head < pp->q_len ? &pp->q[pp->q_head] : NULL;
}

const struct pipe_cmd *pipe_cmd_after(const struct pop3_pipe *pp, const struct pipe_cmd *c)
{
	return c + 1 < pp->q + pp->q_len ? c + 1 : NULL;
}

size_t pipe_waiting(const struct pop3_pipe *pp)
{
	return pp->q_len - pp->q_head;
}

const char *pipe_last_reply(const struct pop3_pipe *pp)
{
	return pp->last_reply;
}

enum mailbox_fault pipe_code(const struct pop3_pipe *pp)
{
	return pp->code;
}

bool pipe_broken(const struct pop3_pipe *pp)
{
	return pp->broken;
}

unsigned long pipe_commands(const struct pop3_pipe *pp)
{
	return pp->commands;
}

void pipe_shutdown(struct pop3_pipe *pp)
{
	if (pp)
		shutdown(pp->fd, SHUT_RDWR);
}
