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

bool header_rules_init(struct header_rules *r, const char *loop_header,
		       const char *const *skip_from, size_t nskip, struct roam_error *e)
{
	char tmp[sizeof(r->loop_name) + sizeof(r->loop_value) + 2], *colon, *name, *value;

	memset(r, 0, sizeof(*r));
	r->skip_from = skip_from;
	r->nskip = nskip;
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

static void check_sender(struct header_scan *h, const char *addr, const char *where)
{
	for (size_t i = 0; i < h->rules->nskip && !h->matched; i++)
		if (*addr && fnmatch(h->rules->skip_from[i], addr, FNM_CASEFOLD) == 0) {
			h->matched = true;
			snprintf(h->reason, sizeof(h->reason), "%s '%.200s' matches skip_from '%.80s'",
				 where, addr, h->rules->skip_from[i]);
		}
}

/* "Name <addr>", "addr (Name)", "addr": the addr */
static char *from_address(char *value)
{
	char *lt = strchr(value, '<');

	if (lt) {
		value = lt + 1;
		value[strcspn(value, ">")] = '\0';
		return trim(value);
	}
	value = trim(value);
	value[strcspn(value, " \t(")] = '\0';
	return value;
}

static void check_field(struct header_scan *h, char *line)
{
	const struct header_rules *r = h->rules;
	char *colon = strchr(line, ':'), *name, *value;

	if (!colon)
		return;
	*colon = '\0';
	name = trim(line);
	value = trim(colon + 1);
	if (r->loop_name[0] && !strcasecmp(name, r->loop_name) &&
	    (!r->loop_value[0] || (!h->truncated && !strcasecmp(value, r->loop_value)))) {
		h->matched = true;
		snprintf(h->reason, sizeof(h->reason), "loop header '%s: %.200s'", r->loop_name, value);
		return;
	}
	if (!strcasecmp(name, "From"))
		check_sender(h, from_address(value), "From:");
}

/* one complete logical line (unfolded, without CR and LF) */
static void flush_line(struct header_scan *h)
{
	char *line = h->line;

	if (!h->len)
		return;
	line[h->len] = '\0';
	if (h->first && !strncmp(line, "From ", 5)) {
		/* procmail's envelope line: "From sender date" */
		char *sender = trim(line + 5);

		sender[strcspn(sender, " \t")] = '\0';
		check_sender(h, sender, "envelope sender");
	} else {
		check_field(h, line);
	}
	h->first = false;
	h->len = 0;
	h->truncated = false;
}

static void append(struct header_scan *h, char c)
{
	if (h->len < sizeof(h->line) - 1)
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
