/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "recipients.h"
#include "target.h"
#include "trust.h"

/* the whole file, NUL-terminated; NULL with e on trouble */
static char *read_file(const char *path, size_t *len, struct roam_error *e)
{
	int fd = roam_open_trusted(path, O_RDONLY, e);
	struct stat st;
	char *buf;
	size_t got = 0;
	bool regular;

	if (fd < 0)
		return NULL;
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (!regular || (unsigned long long)st.st_size > REDIRECT_TABLE_MAX_BYTES) {
		roam_error_set(e, "%s: %s", path, regular ? "larger than 64 MiB" : "not a regular file");
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		roam_error_set(e, "%s: out of memory", path);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			roam_error_set(e, "%s: %s", path, n < 0 ? strerror(errno) : "shrank while read");
			free(buf);
			buf = NULL;
		} else {
			got += (size_t)n;
		}
	}
	close(fd);
	if (buf) {
		buf[got] = '\0';
		*len = got;
	}
	return buf;
}

/* the next blank-separated word of *s, NUL-terminated in place; NULL at the
 * end of the line or at a comment */
static char *next_word(char **s)
{
	char *w = *s + strspn(*s, " \t\r");

	if (!*w || *w == '#')
		return NULL;
	*s = w + strcspn(w, " \t\r");
	if (**s)
		*(*s)++ = '\0';
	return w;
}

static bool parse_line(char *line, const char *path, unsigned lineno, struct redirect_row *row,
		       bool *empty, struct roam_error *e)
{
	char *rcpt = next_word(&line), *target, *alive;

	*empty = !rcpt;
	if (!rcpt)
		return true;
	target = next_word(&line);
	alive = target ? next_word(&line) : NULL;
	if (!alive)
		return roam_error_set(e, "%s:%u: want RECIPIENT TARGET ALIVE_DESTINATION", path, lineno);
	if (next_word(&line))
		return roam_error_set(e, "%s:%u: more than three fields", path, lineno);
	if (!redirect_target_ok(rcpt))
		return roam_error_set(e, "%s:%u: recipient '%.100s' is not a plain address",
				      path, lineno, rcpt);
	if (!roam_parse_ipv4(target, &row->target, NULL) || !roam_ipv4_is_unicast(row->target))
		return roam_error_set(e, "%s:%u: target '%.100s' is not a unicast IPv4 address",
				      path, lineno, target);
	if (!redirect_target_ok(alive))
		return roam_error_set(e, "%s:%u: alive destination '%.100s' is not a plain address",
				      path, lineno, alive);
	for (char *c = rcpt; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	row->recipient = rcpt;
	row->alive = alive;
	row->line = lineno;
	return true;
}

static int by_recipient(const void *a, const void *b)
{
	return strcmp(((const struct redirect_row *)a)->recipient,
		      ((const struct redirect_row *)b)->recipient);
}

/* cuts text into rows; false with e at the first bad line */
static bool parse_text(char *text, size_t len, const char *path, struct redirect_table *t,
		       struct roam_error *e)
{
	size_t cap = 16;
	unsigned lineno = 0;

	if (memchr(text, '\0', len))
		return roam_error_set(e, "%s: contains a NUL byte", path);
	t->rows = malloc(cap * sizeof(*t->rows));
	if (!t->rows)
		return roam_error_set(e, "%s: out of memory", path);
	for (char *line = text, *next; line && *line; line = next) {
		struct redirect_row row;
		bool empty;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!parse_line(line, path, ++lineno, &row, &empty, e))
			return false;
		if (empty)
			continue;
		if (t->n == cap) {
			struct redirect_row *more = realloc(t->rows, 2 * cap * sizeof(*more));

			if (!more)
				return roam_error_set(e, "%s: out of memory", path);
			t->rows = more;
			cap *= 2;
		}
		t->rows[t->n++] = row;
	}
	qsort(t->rows, t->n, sizeof(*t->rows), by_recipient);
	for (size_t i = 1; i < t->n; i++)
		if (!strcmp(t->rows[i].recipient, t->rows[i - 1].recipient)) {
			unsigned a = t->rows[i - 1].line, b = t->rows[i].line;

			return roam_error_set(e, "%s:%u: recipient '%s' already on line %u", path,
					      a > b ? a : b, t->rows[i].recipient, a < b ? a : b);
		}
	return true;
}

bool redirect_table_load(struct redirect_table *t, const char *path, struct roam_error *e)
{
	struct redirect_table n = { 0 };
	size_t len = 0;

	n.text = read_file(path, &len, e);
	if (!n.text)
		return false;
	if (!parse_text(n.text, len, path, &n, e)) {
		redirect_table_free(&n);
		return false;
	}
	*t = n;
	return true;
}

bool redirect_table_single(struct redirect_table *t, const char *target, const char *alive,
			   struct roam_error *e)
{
	struct redirect_row row = { .alive = alive };

	if (!target || !alive)
		return roam_error_set(e, "no %s configured (nor recipients)", target ? "alive" : "target");
	if (!roam_parse_ipv4(target, &row.target, NULL))
		return roam_error_set(e, "target '%.100s' is not an IPv4 address", target);
	if (!redirect_target_ok(alive))
		return roam_error_set(e, "alive '%.300s' is not one plain address", alive);
	memset(t, 0, sizeof(*t));
	t->rows = malloc(sizeof(*t->rows));
	if (!t->rows)
		return roam_error_set(e, "out of memory");
	t->rows[0] = row;
	t->n = 1;
	return true;
}

const struct redirect_row *redirect_table_find(const struct redirect_table *t,
					       const char *recipient)
{
	char key[REDIRECT_TARGET_MAX + 1];
	struct redirect_row probe = { .recipient = key };
	size_t n = strlen(recipient);

	if (t->n == 1 && !t->rows[0].recipient)
		return &t->rows[0];	/* the implicit row: everyone */
	if (n >= sizeof(key))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		key[i] = (char)tolower((unsigned char)recipient[i]);
	return bsearch(&probe, t->rows, t->n, sizeof(*t->rows), by_recipient);
}

void redirect_table_free(struct redirect_table *t)
{
	free(t->rows);
	free(t->text);
	memset(t, 0, sizeof(*t));
}
