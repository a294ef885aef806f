/* SPDX-License-Identifier: MIT */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "header.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* trims blanks at both ends in place; returns the new start */
static char *trim(char *s)
{
	size_t n;

	while (is_blank(*s))
		s++;
	n = strlen(s);
	while (n && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool field_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < 33 || *s > 126 || *s == ':')
			return false;
	return true;
}

/* the first control byte that no pattern contains */
static char pick_nul_stand_in(const char *const *skip_from, size_t nskip)
{
	for (char c = 1; c < 0x20; c++) {
		size_t i = 0;

		while (i < nskip && !strchr(skip_from[i], c))
			i++;
		if (i == nskip)
			return c;
	}
	return '\x7f';	/* 31 patterns full of control bytes: DEL is as good */
}

bool header_rules_init(struct header_rules *r, const char *loop_header,
		       const char *const *skip_from, size_t nskip, struct roam_error *e)
{
	char tmp[sizeof(r->loop_name) + sizeof(r->loop_value) + 2], *colon, *name, *value;

	memset(r, 0, sizeof(*r));
	r->skip_from = skip_from;
	r->nskip = nskip;
	r->nul_stand_in = pick_nul_stand_in(skip_from, nskip);
	if (!loop_header)
		return true;
	if (strlen(loop_header) >= sizeof(tmp))
		return roam_error_set(e, "loop_header is too long");
	strcpy(tmp, loop_header);
	colon = strchr(tmp, ':');
	if (!colon)
		return roam_error_set(e, "loop_header '%s' is not 'Name: value'", loop_header);
	*colon = '\0';
	name = trim(tmp);
	value = trim(colon + 1);
	if (!field_name_ok(name) || strlen(name) >= sizeof(r->loop_name) ||
	    strlen(value) >= sizeof(r->loop_value))
		return roam_error_set(e, "loop_header '%s' is not 'Name: value'", loop_header);
	strcpy(r->loop_name, name);
	strcpy(r->loop_value, value);
	return true;
}

bool header_rules_empty(const struct header_rules *r)
{
	return !r->loop_name[0] && !r->nskip;
}

void header_scan_init(struct header_scan *h, const struct header_rules *r)
{
	memset(h, 0, sizeof(*h));
	h->rules = r;
	h->eol = true;	/* as if after a line: an empty first line ends the header */
	h->first = true;
}

/* A piece of the logical line: its bytes, NULs included. A header is not a C
 * string: a NUL inside it must not end what is compared (a "From: x\0 <...>"
 * would otherwise show the sender rule nothing but "x"). */
struct span {
	char *p;
	size_t n;
};

static struct span span_trim(struct span s)
{
	while (s.n && is_blank(*s.p))
		s.p++, s.n--;
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* the prefix of s up to the first byte of stop (all of s without one) */
static struct span span_until(struct span s, const char *stop)
{
	size_t i = 0;

	/* strchr would find the terminator of stop for a NUL of s */
	while (i < s.n && (!s.p[i] || !strchr(stop, s.p[i])))
		i++;
	return (struct span){ s.p, i };
}

static struct span span_after(struct span s, const char *at)
{
	size_t skip = (size_t)(at - s.p) + 1;

	return (struct span){ s.p + skip, s.n - skip };
}

/* s equals the C string want, case-insensitive, over all of s's bytes (a
 * NUL of s differs from want's byte there, so strncasecmp sees it) */
static bool span_is(struct span s, const char *want)
{
	return s.n == strlen(want) && !strncasecmp(s.p, want, s.n);
}

/* s for the log: printable ASCII, anything else as \xNN */
static const char *span_printable(struct span s, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < s.n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* fnmatch needs a C string: a NUL of the address becomes a byte that no
 * pattern names (header_rules_init picked it), so '*' and '?' still match
 * it and no literal does, as for the NUL itself. */
static void check_sender(struct header_scan *h, struct span addr, const char *where)
{
	char s[HEADER_LINE_MAX + 1], shown[220];

	if (!addr.n)
		return;
	memcpy(s, addr.p, addr.n);	/* addr lies in h->line: it fits */
	s[addr.n] = '\0';
	for (size_t i = 0; i < addr.n; i++)
		if (!s[i])
			s[i] = h->rules->nul_stand_in;
	for (size_t i = 0; i < h->rules->nskip && !h->matched; i++)
		if (fnmatch(h->rules->skip_from[i], s, FNM_CASEFOLD) == 0) {
			h->matched = true;
			snprintf(h->reason, sizeof(h->reason), "%s '%s' matches skip_from '%.80s'",
				 where, span_printable(addr, shown, sizeof(shown)),
				 h->rules->skip_from[i]);
		}
}

/* "Name <addr>", "addr (Name)", "addr": the addr */
static struct span from_address(struct span value)
{
	char *lt = memchr(value.p, '<', value.n);

	if (lt)
		return span_trim(span_until(span_after(value, lt), ">"));
	return span_until(span_trim(value), " \t(");
}

static void check_field(struct header_scan *h, struct span line)
{
	const struct header_rules *r = h->rules;
	char *colon = memchr(line.p, ':', line.n), shown[220];
	struct span name, value;

	if (!colon)
		return;
	name = span_trim((struct span){ line.p, (size_t)(colon - line.p) });
	value = span_trim(span_after(line, colon));
	if (r->loop_name[0] && span_is(name, r->loop_name) &&
	    (!r->loop_value[0] || (!h->truncated && span_is(value, r->loop_value)))) {
		h->matched = true;
		snprintf(h->reason, sizeof(h->reason), "loop header '%s: %s'", r->loop_name,
			 span_printable(value, shown, sizeof(shown)));
		return;
	}
	if (span_is(name, "From"))
		check_sender(h, from_address(value), "From:");
}

/* one complete logical line (unfolded, without CR and LF) */
static void flush_line(struct header_scan *h)
{
	struct span line = { h->line, h->len };

	if (!h->len)
		return;
	if (h->first && h->len >= 5 && !memcmp(h->line, "From ", 5)) {
		/* procmail's envelope line: "From sender date" */
		struct span rest = span_trim((struct span){ h->line + 5, h->len - 5 });

		check_sender(h, span_until(rest, " \t"), "envelope sender");
	} else {
		check_field(h, line);
	}
	h->first = false;
	h->len = 0;
	h->truncated = false;
}

static void append(struct header_scan *h, char c)
{
	if (h->len < sizeof(h->line))
		h->line[h->len++] = c;
	else
		h->truncated = true;
}

size_t header_scan_feed(struct header_scan *h, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];

		if (h->done)
			return i;
		if (c == '\r')
			continue;	/* CRLF and LF alike */
		if (h->eol) {
			h->eol = false;
			if (c == '\n') {	/* the empty line: header ends here */
				flush_line(h);
				h->done = true;
				return i + 1;
			}
			if (!is_blank(c))
				flush_line(h);	/* not a folded continuation */
			if (h->matched) {
				h->done = true;	/* the rest of the header does not matter */
				return i;
			}
		}
		if (c == '\n')
			h->eol = true;
		else
			append(h, c);
	}
	return n;
}

void header_scan_finish(struct header_scan *h)
{
	if (!h->done)
		flush_line(h);
	h->done = true;
}
