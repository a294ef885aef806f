/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exits.h"
#include "log.h"
#include "pop3.h"

enum {
	LINE_MAX_LEN = 512,	/* RFC 1939: a reply line is at most 512 octets */
	FLOOR_RATE = 1024,	/* octets a second a command may carry at the least */
};

struct pop3 {
	CURL *curl;
	int code;
	int timeout;
	/* the command in progress, bounded as a whole (see on_progress) */
	double started;		/* CLOCK_MONOTONIC seconds */
	double allowed;		/* seconds, not counting what the sink took */
	double in_sink;		/* seconds the sink spent delivering */
	bool per_octet;		/* a listing: each octet that arrives adds time */
	bool timed_out;
	bool logged_in;
	unsigned long commands;
	char last_reply[256];	/* the server's last status line, for messages */
	/* UIDL / LIST parsing */
	struct pop3_listing *listing;
	bool parsing_list;	/* LIST (sizes) after UIDL */
	char line[LINE_MAX_LEN + 1];
	size_t line_len;
	bool bad_reply;
	/* RETR */
	pop3_sink sink;
	void *sink_arg;
	bool sink_failed;
	bool body_started;
	bool held_cr;		/* a lone CR at the start of a body, see on_body */
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

/* libcurl calls it about once a second, also while nothing arrives: a
 * command past its deadline stops, however slowly the server keeps sending */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct pop3 *p = arg;
	double allowed = p->allowed + (p->per_octet ? (double)dlnow / FLOOR_RATE : 0);

	(void)dltotal, (void)ultotal, (void)ulnow;
	if (now() - p->started - p->in_sink <= allowed)
		return 0;
	p->timed_out = true;
	return 1;
}

/* the deadline of the next command: timeout, one second per KiB of octets,
 * and a second timeout for the login that the first command does first */
static void set_deadline(struct pop3 *p, unsigned long octets, bool per_octet)
{
	p->allowed = p->timeout + (double)octets / FLOOR_RATE + (p->logged_in ? 0 : p->timeout);
	p->per_octet = per_octet;
	p->in_sink = 0;
	p->timed_out = false;
	p->started = now();
}

/* the sink's time is ours, not the server's: it does not count */
static bool to_sink(struct pop3 *p, const char *data, size_t len)
{
	double t0 = now();
	bool ok = p->sink(p->sink_arg, data, len);

	p->in_sink += now() - t0;
	return ok;
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
		p->commands++;
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

static size_t on_listing(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pop3 *p = arg;
	size_t len = size * nmemb;

	for (size_t i = 0; i < len && !p->bad_reply; i++) {
		if (data[i] == '\n') {
			if (p->line_len && p->line[p->line_len - 1] == '\r')
				p->line_len--;
			p->line[p->line_len] = '\0';
			/* libcurl hands an empty listing over as one bare CRLF */
			if (p->line_len && !(p->parsing_list
						     ? listing_add_size(p->listing, p->line, p->line_len)
						     : listing_add_uidl(p->listing, p->line, p->line_len))) {
				char shown[3 * 80 + 1];

				listing_show(p->line, p->line_len < 80 ? p->line_len : 80, shown);
				roam_debug("bad listing line: %s", shown);
				p->bad_reply = true;	/* p->line stays, for the error */
				break;
			}
			p->line_len = 0;
		} else if (p->line_len < LINE_MAX_LEN) {
			p->line[p->line_len++] = data[i];
		} else {
			p->bad_reply = true;
		}
	}
	return p->bad_reply ? 0 : len;
}

/* libcurl 7.88 writes a lone "\r" instead of the "." when a body's first line
 * starts with a dot that the server did not stuff (dovecot 2.3 does not stuff
 * the first line): its end-of-body matcher starts in the middle of a CRLF and
 * then writes the wrong byte of it (lib/pop3.c, Curl_pop3_write). The "\r"
 * comes as a chunk of its own. A bare CR never starts a message (RFC 5322), so
 * it is put back as the dot; a "\r\n" is left alone. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pop3 *p = arg;
	size_t len = size * nmemb;

	if (!p->body_started && len == 1 && data[0] == '\r') {
		p->body_started = p->held_cr = true;
		return len;
	}
	p->body_started = true;
	if (p->held_cr && len) {
		p->held_cr = false;
		if (!to_sink(p, data[0] == '\n' ? "\r" : ".", 1)) {
			p->sink_failed = true;
			return 0;
		}
	}
	if (!to_sink(p, data, len)) {
		p->sink_failed = true;
		return 0;
	}
	return len;
}

static int exit_code(const struct pop3 *p, CURLcode rc)
{
	if (strstr(p->last_reply, "[IN-USE]"))
		return FETCH_EXIT_LOCKBUSY;	/* another client has the maildrop */
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return FETCH_EXIT_AUTH;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_EXIT_ERROR;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return FETCH_EXIT_SOCKET;
	case CURLE_WEIRD_SERVER_REPLY:
		/* a -ERR reply is the server's error; anything else is garbage */
		return p->last_reply[0] == '-' ? FETCH_EXIT_ERROR : FETCH_EXIT_PROTOCOL;
	default:
		return FETCH_EXIT_PROTOCOL;
	}
}

static bool perform(struct pop3 *p, const char *what, struct roam_error *e)
{
	CURLcode rc;

	p->last_reply[0] = '\0';
	rc = curl_easy_perform(p->curl);
	if (rc == CURLE_OK) {
		p->logged_in = true;
		return true;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && p->timed_out) {
		p->code = FETCH_EXIT_ERROR;
		return roam_error_set(e, "POP3 %s: not done within %.0f s (timeout, plus 1 s per "
				      "KiB%s): the server is too slow", what, p->allowed,
				      p->logged_in ? "" : ", plus timeout for the login");
	}
	if (rc == CURLE_WRITE_ERROR && p->sink_failed) {
		p->code = FETCH_EXIT_DELIVERY;
		return roam_error_set(e, "%s: delivery stopped the transfer", what);
	}
	if (rc == CURLE_WRITE_ERROR && p->bad_reply) {
		char shown[3 * 80 + 1];	/* the server's bytes, never raw into a log */

		p->code = FETCH_EXIT_PROTOCOL;
		listing_show(p->line, p->line_len < 80 ? p->line_len : 80, shown);
		return roam_error_set(e, "POP3 %s: malformed reply line `%s'", what, shown);
	}
	p->code = exit_code(p, rc);
	return roam_error_set(e, "POP3 %s: %s%s%s%s", what, curl_easy_strerror(rc),
			      p->last_reply[0] ? " (server: " : "", p->last_reply,
			      p->last_reply[0] ? ")" : "");
}

static bool set_command(struct pop3 *p, const char *verb, unsigned long num, bool nobody)
{
	char url[64];

	if (num)
		snprintf(url, sizeof(url), "pop3://localhost/%lu", num);
	else
		snprintf(url, sizeof(url), "pop3://localhost/");
	return curl_easy_setopt(p->curl, CURLOPT_URL, url) == CURLE_OK &&
	       curl_easy_setopt(p->curl, CURLOPT_CUSTOMREQUEST, verb) == CURLE_OK &&
	       curl_easy_setopt(p->curl, CURLOPT_NOBODY, nobody ? 1L : 0L) == CURLE_OK;
}

struct pop3 *pop3_new(const struct pop3_opts *o, struct roam_error *e)
{
	struct pop3 *p = calloc(1, sizeof(*p));
	CURL *h;

	if (!p || !(p->curl = h = curl_easy_init())) {
		free(p);
		roam_error_set(e, "curl_easy_init failed");
		return NULL;
	}
	p->code = FETCH_EXIT_PROTOCOL;
	p->timeout = o->timeout;
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "pop3") ||
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
	    curl_easy_setopt(h, CURLOPT_DEBUGDATA, p) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, p)) {
		roam_error_set(e, "libcurl lacks POP3 or unix socket support");
		pop3_close(p);
		return NULL;
	}
	return p;
}

static bool fetch_listing(struct pop3 *p, const char *verb, struct roam_error *e)
{
	p->line_len = 0;
	p->bad_reply = false;
	p->parsing_list = !strcmp(verb, "LIST");
	if (!set_command(p, verb, 0, false) ||
	    curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_listing))
		return roam_error_set(e, "curl_easy_setopt failed");
	set_deadline(p, 0, true);
	if (!perform(p, verb, e))
		return false;
	if (p->bad_reply || p->line_len) {
		p->code = FETCH_EXIT_PROTOCOL;
		return roam_error_set(e, "POP3 %s: malformed reply", verb);
	}
	return true;
}

bool pop3_list(struct pop3 *p, struct pop3_listing *l, struct roam_error *e)
{
	*l = (struct pop3_listing){ 0 };
	p->listing = l;
	bool ok = fetch_listing(p, "UIDL", e) && fetch_listing(p, "LIST", e);
	p->listing = NULL;
	if (!ok)
		pop3_listing_free(l);
	return ok;
}

void pop3_listing_free(struct pop3_listing *l)
{
	listing_free(l);
}

bool pop3_retr(struct pop3 *p, unsigned long num, unsigned long size, pop3_sink sink,
	       void *arg, struct roam_error *e)
{
	char what[32];

	p->sink = sink;
	p->sink_arg = arg;
	p->sink_failed = p->body_started = p->held_cr = false;
	snprintf(what, sizeof(what), "RETR %lu", num);
	if (!set_command(p, NULL, num, false) ||
	    curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_body))
		return roam_error_set(e, "curl_easy_setopt failed");
	set_deadline(p, size, false);
	if (!perform(p, what, e))
		return false;
	if (p->held_cr && !sink(arg, "\r", 1)) {	/* the whole body was one CR */
		p->code = FETCH_EXIT_DELIVERY;
		return roam_error_set(e, "%s: delivery stopped the transfer", what);
	}
	return true;
}

bool pop3_dele(struct pop3 *p, unsigned long num, struct roam_error *e)
{
	char what[32];

	snprintf(what, sizeof(what), "DELE %lu", num);
	if (!set_command(p, "DELE", num, true))
		return roam_error_set(e, "curl_easy_setopt failed");
	set_deadline(p, 0, false);
	return perform(p, what, e);
}

bool pop3_noop(struct pop3 *p, struct roam_error *e)
{
	if (!set_command(p, "NOOP", 0, true))
		return roam_error_set(e, "curl_easy_setopt failed");
	set_deadline(p, 0, false);
	return perform(p, "NOOP", e);
}

int pop3_exit_code(const struct pop3 *p)
{
	return p->code;
}

unsigned long pop3_commands(const struct pop3 *p)
{
	return p->commands;
}

void pop3_close(struct pop3 *p)
{
	if (!p)
		return;
	/* QUIT, when the connection is alive; libcurl calls on_progress while it
	 * waits for the answer, so QUIT gets a deadline of its own, not what is
	 * left of the last command's (the DELEs take effect only with it) */
	set_deadline(p, 0, false);
	if (p->curl)
		curl_easy_cleanup(p->curl);
	free(p);
}
