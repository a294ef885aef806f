/* SPDX-License-Identifier: MIT */
/*
 * pop3.c — mailbox_pop3 (mailbox.h): one POP3 session over a local socket
 * (see transport.h): libcurl connects and logs in (CURLOPT_CONNECT_ONLY), then
 * pop3_pipe.c speaks every command on that connection through
 * curl_easy_send/recv.
 *
 * When the server's CAPA (asked after the login) says PIPELINING (RFC 2449),
 * UIDL and LIST go out together, RETRs of the plan (pop3_plan) are sent ahead
 * — up to 100 in flight, and 4 MiB of what LIST said beyond the first — and
 * DELEs are sent without waiting for their replies, which are read with the
 * next ones; a DELE goes out only when the caller asks (after the message
 * is recorded). Without PIPELINING, or with pipelining = no, one command at a
 * time, each reply read before the next command goes out.
 *
 * A body ends at its "." line, checked here (pop3_reply.h): a connection that
 * closes before it is an error, never a short message. Dot-stuffing is undone;
 * bodies arrive exactly as the message was stored, with CRLF line ends.
 * Deletions take effect at QUIT, which pop3_close sends when the session is
 * alive, after reading every reply still in flight.
 *
 * libcurl 7.88 ignores CURL_SOCKOPT_ALREADY_CONNECTED, so it cannot be handed
 * the stream: it connects to transport.h's AF_UNIX socket instead (the
 * protocol-neutral opening main.c does for every protocol). Before pop3_pipe
 * spoke RETR, libcurl did not check the "." line either, and a body had to
 * wait for the server's next answer as its proof; now a body is trusted once
 * pop3_retr returns: the "." line was seen (a connection that closes before it
 * is an error). Until then the message is being written (deliver_begin/write);
 * a RETR that fails aborts it, and the next run fetches it again: never a
 * truncated message, never a loss.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "mailbox.h"
#include "pop3_pipe.h"

enum {
	WINDOW_RETR = 100,		/* RETRs in flight at most (mpop sends as many) */
	WINDOW_OCTETS = 4 << 20,	/* …and the octets they carry beyond the first */
};

struct pop3 {
	struct mailbox base;		/* first: a struct mailbox * is a struct pop3 * */
	CURL *curl;
	struct pop3_pipe *pipe;
	enum mailbox_fault code;
	int timeout;
	bool want_pipelining;		/* pop3_opts.pipelining */
	bool pipelining;		/* …and the server's CAPA says PIPELINING */
	unsigned long login_commands;
	/* the login, done by libcurl: its deadline (see on_progress) */
	double started, allowed;
	bool timed_out;
	char last_reply[256];		/* libcurl's last status line, for messages */
	/* what the caller will retrieve, in order (pop3_plan) */
	struct mailbox_ref *plan;
	size_t plan_n, plan_next;
	/* the reply being read */
	struct mailbox_listing *listing;
	bool listing_sizes;
	char bad_line[3 * 80 + 1];
	mailbox_sink sink;
	void *sink_arg;
};

/* commands whose arguments are safe to log; anything else may carry credentials */
static bool loggable(const char *cmd, size_t len)
{
	static const char *const verbs[] = { "CAPA", "UIDL", "LIST", "RETR", "DELE", "QUIT",
					     "STAT", "NOOP", "USER" };

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (len >= 4 && !strncasecmp(cmd, verbs[i], 4))
			return true;
	return false;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* libcurl calls it about once a second while it logs in, also while nothing
 * arrives: a login past its deadline stops, however slowly the server sends */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct pop3 *p = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (now() - p->started <= p->allowed)
		return 0;
	p->timed_out = true;
	return 1;
}

static void set_deadline(struct pop3 *p, double seconds)
{
	p->allowed = seconds;
	p->timed_out = false;
	p->started = now();
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t len, void *arg)
{
	struct pop3 *p = arg;
	int n = 0;

	(void)h;
	/* data is not NUL-terminated: the first line, within len */
	while ((size_t)n < len && n < 200 && data[n] != '\r' && data[n] != '\n')
		n++;
	if (type == CURLINFO_HEADER_OUT) {
		p->login_commands++;
		if (loggable(data, len))
			roam_debug("> %.*s", n, data);
		else
			roam_debug("> (a line with credentials, not shown)");
	} else if (type == CURLINFO_HEADER_IN && len && (data[0] == '+' || data[0] == '-')) {
		snprintf(p->last_reply, sizeof(p->last_reply), "%.*s", n, data);
		roam_debug("< %s", p->last_reply);
	}
	return 0;
}

static enum mailbox_fault login_fault(const struct pop3 *p, CURLcode rc)
{
	if (strstr(p->last_reply, "[IN-USE]"))
		return MAILBOX_FAULT_IN_USE;	/* another client has the maildrop */
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return MAILBOX_FAULT_AUTH;
	case CURLE_OPERATION_TIMEDOUT:
		return MAILBOX_FAULT_TIMEOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return MAILBOX_FAULT_SOCKET;
	case CURLE_WEIRD_SERVER_REPLY:
		/* a -ERR reply is the server's error; anything else is garbage */
		return p->last_reply[0] == '-' ? MAILBOX_FAULT_REFUSED : MAILBOX_FAULT_PROTOCOL;
	default:
		return MAILBOX_FAULT_PROTOCOL;
	}
}

static void pop3_close(struct mailbox *m);

static struct mailbox *pop3_open(const struct mailbox_opts *o, struct roam_error *e)
{
	struct pop3 *p = calloc(1, sizeof(*p));
	CURL *h;

	if (!p || !(p->curl = h = curl_easy_init())) {
		free(p);
		roam_error_set(e, "curl_easy_init failed");
		return NULL;
	}
	p->base.ops = &mailbox_pop3;
	p->code = MAILBOX_FAULT_PROTOCOL;
	p->timeout = o->timeout;
	p->want_pipelining = o->pipelining;
	/* libcurl connects and logs in (greeting, CAPA, SASL or USER/PASS) and
	 * stops there: it has no POP3 pipelining, so pop3_pipe.c speaks the rest */
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "pop3") ||
	    curl_easy_setopt(h, CURLOPT_URL, "pop3://localhost/") ||
	    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L) ||
	    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, o->socket_path) ||
	    curl_easy_setopt(h, CURLOPT_USERNAME, o->user) ||
	    curl_easy_setopt(h, CURLOPT_PASSWORD, o->password) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)o->timeout) ||
	    curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)o->timeout) ||
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) ||
	    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) ||
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, p) ||
	    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) ||	/* feeds on_debug only */
	    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug) ||
	    curl_easy_setopt(h, CURLOPT_DEBUGDATA, p)) {
		roam_error_set(e, "libcurl lacks POP3 or unix socket support");
		pop3_close(&p->base);
		return NULL;
	}
	return &p->base;
}

static bool login(struct pop3 *p, struct roam_error *e)
{
	CURLcode rc;

	set_deadline(p, 2.0 * p->timeout);	/* connect, then the login */
	p->last_reply[0] = '\0';
	rc = curl_easy_perform(p->curl);
	if (rc == CURLE_OK)
		return (p->pipe = pipe_new(p->curl, p->timeout, e)) != NULL;
	if (rc == CURLE_ABORTED_BY_CALLBACK && p->timed_out) {
		p->code = MAILBOX_FAULT_TIMEOUT;
		return roam_error_set(e, "POP3 login: not done within %.0f s (twice timeout): "
				      "the server is too slow", p->allowed);
	}
	p->code = login_fault(p, rc);
	return roam_error_set(e, "POP3 login: %s%s%s%s", curl_easy_strerror(rc),
			      p->last_reply[0] ? " (server: " : "", p->last_reply,
			      p->last_reply[0] ? ")" : "");
}

/* pipe_read failed (e is set), or the reply was -ERR */
static bool failed(struct pop3 *p, const char *what, bool read_ok, struct roam_error *e)
{
	if (!read_ok) {
		p->code = pipe_code(p->pipe);
		return false;
	}
	p->code = strstr(pipe_last_reply(p->pipe), "[IN-USE]") ? MAILBOX_FAULT_IN_USE
								: MAILBOX_FAULT_REFUSED;
	return roam_error_set(e, "POP3 %s: refused (server: %s)", what, pipe_last_reply(p->pipe));
}

/* Reads replies until the next one is to VERB NUM (NULL: until none is
 * awaited): one-line replies must be +OK, the bodies of RETRs nobody waits
 * for any more are dropped. */
static bool await(struct pop3 *p, const char *verb, unsigned long num, struct roam_error *e)
{
	const struct pipe_cmd *c;

	while ((c = pipe_next(p->pipe)) && !(verb && !strcmp(c->verb, verb) && c->num == num)) {
		bool dropped = c->kind == PIPE_BODY;
		enum reply_status st;
		char what[32];
		bool ok;

		pipe_describe(c, what, sizeof(what));
		ok = pipe_read(p->pipe, NULL, NULL, &st, e);
		if (!ok || (st != REPLY_OK && !dropped))
			return failed(p, what, ok, e);
	}
	if (c || !verb)
		return true;
	p->code = MAILBOX_FAULT_PROTOCOL;
	return roam_error_set(e, "POP3 %s %lu: never sent", verb, num);
}

static bool send_cmd(struct pop3 *p, const char *verb, unsigned long num, enum pipe_kind kind,
		     unsigned long octets, struct roam_error *e)
{
	if (pipe_send(p->pipe, verb, num, kind, octets, e))
		return true;
	p->code = pipe_code(p->pipe);
	return false;
}

/* sends VERB [NUM] and reads its reply (the ones before it too) */
static bool command(struct pop3 *p, const char *verb, unsigned long num, enum pipe_kind kind,
		    pipe_data data, void *arg, struct roam_error *e)
{
	enum reply_status st;
	char what[32];
	bool ok;

	if (num)
		snprintf(what, sizeof(what), "%s %lu", verb, num);
	else
		snprintf(what, sizeof(what), "%s", verb);
	if (!send_cmd(p, verb, num, kind, 0, e) || !await(p, verb, num, e))
		return false;
	ok = pipe_read(p->pipe, data, arg, &st, e);
	return ok && st == REPLY_OK ? true : failed(p, what, ok, e);
}

/* CAPA after the login (RFC 2449: what holds now): PIPELINING, with no argument */
static bool on_capa(void *arg, const char *line, size_t len)
{
	struct pop3 *p = arg;

	if (len == 10 && !strncasecmp(line, "PIPELINING", 10))
		p->pipelining = true;
	return true;
}

static bool capabilities(struct pop3 *p, struct roam_error *e)
{
	enum reply_status st;

	if (!send_cmd(p, "CAPA", 0, PIPE_LINES, 0, e))
		return false;
	if (!pipe_read(p->pipe, on_capa, p, &st, e))
		return failed(p, "CAPA", false, e);
	/* a server without CAPA has no PIPELINING either: -ERR is no error */
	p->pipelining = p->pipelining && st == REPLY_OK && p->want_pipelining;
	roam_debug("POP3 %s", p->pipelining ? "pipelining (RFC 2449)" : "one command at a time");
	return true;
}

static bool on_listing(void *arg, const char *line, size_t len)
{
	struct pop3 *p = arg;
	bool ok = p->listing_sizes ? listing_add_size(p->listing, line, len)
				   : listing_add_uidl(p->listing, line, len);

	if (!ok)
		listing_show(line, len < 80 ? len : 80, p->bad_line);
	return ok;
}

static bool read_listing(struct pop3 *p, const char *verb, struct roam_error *e)
{
	enum reply_status st;
	bool ok;

	p->listing_sizes = !strcmp(verb, "LIST");
	p->bad_line[0] = '\0';
	ok = pipe_read(p->pipe, on_listing, p, &st, e);
	if (!ok && pipe_code(p->pipe) == MAILBOX_FAULT_DELIVERY) {
		p->code = MAILBOX_FAULT_PROTOCOL;
		return roam_error_set(e, "POP3 %s: malformed reply line `%s'", verb, p->bad_line);
	}
	return ok && st == REPLY_OK ? true : failed(p, verb, ok, e);
}

static bool pop3_list(struct mailbox *m, struct mailbox_listing *l, struct roam_error *e)
{
	struct pop3 *p = (struct pop3 *)m;
	bool ok;

	*l = (struct mailbox_listing){ 0 };
	if (!p->pipe && !(login(p, e) && capabilities(p, e)))
		return false;
	p->listing = l;
	if (p->pipelining)	/* both in flight: one round trip */
		ok = send_cmd(p, "UIDL", 0, PIPE_LINES, 0, e) && send_cmd(p, "LIST", 0, PIPE_LINES, 0, e) &&
		     read_listing(p, "UIDL", e) && read_listing(p, "LIST", e);
	else
		ok = send_cmd(p, "UIDL", 0, PIPE_LINES, 0, e) && read_listing(p, "UIDL", e) &&
		     send_cmd(p, "LIST", 0, PIPE_LINES, 0, e) && read_listing(p, "LIST", e);
	p->listing = NULL;
	if (!ok)
		listing_free(l);
	return ok;
}

static bool pop3_plan(struct mailbox *m, const struct mailbox_ref *msgs, size_t n,
		      struct roam_error *e)
{
	struct pop3 *p = (struct pop3 *)m;

	free(p->plan);
	p->plan = NULL;
	p->plan_n = p->plan_next = 0;
	if (!n)
		return true;
	if (!(p->plan = malloc(n * sizeof(*p->plan))))
		return roam_error_set(e, "out of memory"), false;
	memcpy(p->plan, msgs, n * sizeof(*p->plan));
	p->plan_n = n;
	return true;
}

/* the RETRs in flight, and the octets LIST gave them */
static size_t retrs_in_flight(const struct pop3 *p, unsigned long long *octets, unsigned long num,
			      bool *has_num)
{
	size_t n = 0;

	*octets = 0;
	*has_num = false;
	for (const struct pipe_cmd *c = pipe_next(p->pipe); c; c = pipe_cmd_after(p->pipe, c)) {
		if (c->kind != PIPE_BODY)
			continue;
		n++;
		*octets += c->octets;
		*has_num = *has_num || c->num == num;
	}
	return n;
}

/* with PIPELINING: RETRs of the plan sent ahead, within the window; the ones
 * before num that the caller skipped are never sent */
static bool top_up(struct pop3 *p, unsigned long num, bool *has_num, struct roam_error *e)
{
	unsigned long long octets;
	size_t n = retrs_in_flight(p, &octets, num, has_num);

	while (p->plan_next < p->plan_n && p->plan[p->plan_next].num < num)
		p->plan_next++;
	while (p->pipelining && p->plan_next < p->plan_n && n < WINDOW_RETR &&
	       (n == 0 || octets + p->plan[p->plan_next].size <= WINDOW_OCTETS)) {
		const struct mailbox_ref *m = &p->plan[p->plan_next++];

		if (!send_cmd(p, "RETR", m->num, PIPE_BODY, m->size, e))
			return false;
		n++;
		octets += m->size;
		*has_num = *has_num || m->num == num;
	}
	return true;
}

static bool on_body(void *arg, const char *data, size_t len)
{
	struct pop3 *p = arg;

	return p->sink(p->sink_arg, data, len);
}

static bool pop3_retr(struct mailbox *m, const struct mailbox_msg *msg, mailbox_sink sink,
		      void *arg, struct roam_error *e)
{
	struct pop3 *p = (struct pop3 *)m;
	unsigned long num = msg->num, size = msg->size;
	enum reply_status st;
	bool has_num, ok;
	char what[32];

	snprintf(what, sizeof(what), "RETR %lu", num);
	if (!top_up(p, num, &has_num, e))
		return false;
	if (!has_num && !send_cmd(p, "RETR", num, PIPE_BODY, size, e))
		return false;
	if (!await(p, "RETR", num, e))
		return false;
	p->sink = sink;
	p->sink_arg = arg;
	ok = pipe_read(p->pipe, on_body, p, &st, e);
	if (!ok && pipe_code(p->pipe) == MAILBOX_FAULT_DELIVERY) {
		p->code = MAILBOX_FAULT_DELIVERY;
		return roam_error_set(e, "%s: delivery stopped the transfer", what);
	}
	if (!ok || st != REPLY_OK)
		return failed(p, what, ok, e);
	return top_up(p, num + 1, &has_num, e);	/* keeps the pipe full meanwhile */
}

static bool pop3_dele(struct mailbox *m, const struct mailbox_msg *msg, struct roam_error *e)
{
	struct pop3 *p = (struct pop3 *)m;
	unsigned long num = msg->num;

	/* pipelined, its reply is read with the next ones (await, pop3_close) */
	if (p->pipelining)
		return send_cmd(p, "DELE", num, PIPE_STATUS, 0, e);
	return command(p, "DELE", num, PIPE_STATUS, NULL, NULL, e);
}

static bool pop3_sync(struct mailbox *m, struct roam_error *e)
{
	struct pop3 *p = (struct pop3 *)m;

	return !p->pipe || await(p, NULL, 0, e);
}

static enum mailbox_fault pop3_fault(const struct mailbox *m)
{
	return ((const struct pop3 *)m)->code;
}

static unsigned long pop3_commands(const struct mailbox *m)
{
	const struct pop3 *p = (const struct pop3 *)m;

	return p->login_commands + (p->pipe ? pipe_commands(p->pipe) : 0);
}

/* QUIT, whose +OK commits the DELEs, after every reply still in flight (the
 * DELEs' are checked, the bodies nobody waits for dropped) */
static void quit(struct pop3 *p)
{
	struct roam_error e = { "" };

	if (!p->pipe || pipe_broken(p->pipe))
		return;
	if (!command(p, "QUIT", 0, PIPE_STATUS, NULL, NULL, &e))
		roam_warn("%s", e.msg);
}

static void pop3_close(struct mailbox *m)
{
	struct pop3 *p = (struct pop3 *)m;

	if (!p)
		return;
	quit(p);
	/* libcurl would send a QUIT of its own at cleanup: it finds the socket
	 * shut down instead, and so it neither waits nor commits anything */
	pipe_shutdown(p->pipe);
	set_deadline(p, p->timeout);
	if (p->curl)
		curl_easy_cleanup(p->curl);
	pipe_free(p->pipe);
	free(p->plan);
	free(p);
}

const struct mailbox_ops mailbox_pop3 = {
	.name = "pop3", .label = "POP3", .default_port = 110,
	.open = pop3_open, .list = pop3_list, .plan = pop3_plan, .fetch = pop3_retr,
	.remove = pop3_dele, .prove = pop3_sync, .close = pop3_close, .fault = pop3_fault,
	.commands = pop3_commands,
};
