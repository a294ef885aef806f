/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "trust.h"

/* every section roam knows; a section outside this list is a typo */
static const char *const known_sections[] = { "tunnel", "probe", "redirect", "fetch" };

struct roam_value {
	char **v;
	size_t n;
	unsigned line;		/* where it was set; 0: default */
	char **defv;		/* the default, split like a value */
	size_t ndef;
};

struct roam_conf {
	char *path;
	const struct roam_section *const *secs;
	size_t nsecs;
	struct roam_value **vals;	/* vals[section][key] */
};

struct parse_ctx {
	FILE *f;
	struct roam_conf *conf;
	struct roam_error *e;
	unsigned line;		/* lines read so far */
	unsigned err_line;	/* first error we found; 0: none */
};

static bool add_word(char ***v, size_t *n, const char *w, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return false;
	*v = nv;
	if (!(nv[*n] = strndup(w, len)))
		return false;
	(*n)++;
	return true;
}

/* list values: words separated by blanks or commas */
static bool split_words(const char *s, bool list, char ***v, size_t *n)
{
	if (!list)
		return add_word(v, n, s, strlen(s));
	while (*s) {
		size_t len;

		s += strspn(s, " \t,");
		len = strcspn(s, " \t,");
		if (len && !add_word(v, n, s, len))
			return false;
		s += len;
	}
	return true;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], extra;
		unsigned long cp;

		if (c < 0x80) { i++; continue; }
		if (c >= 0xc2 && c <= 0xdf) { extra = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { extra = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { extra = 3; cp = c & 0x07; }
		else return false;
		for (unsigned k = 1; k <= extra; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates and beyond U+10FFFF */
		if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += extra + 1;
	}
	return true;
}

static bool fail(struct parse_ctx *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* records the first error as "FILE:LINE: message"; later ones are noise */
static bool fail(struct parse_ctx *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err_line)
		return false;
	p->err_line = line;
	if (!p->e)
		return false;
	n = snprintf(p->e->msg, sizeof(p->e->msg), "%s:%u: ", p->conf->path, line);
	if (n < 0 || (size_t)n >= sizeof(p->e->msg))
		return false;
	va_start(ap, fmt);
	vsnprintf(p->e->msg + n, sizeof(p->e->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* inih's line reader, ours so that we count lines and refuse what inih would
 * silently mangle: a line longer than its buffer (it would split it into
 * several lines), NUL bytes (they would cut a line) and invalid UTF-8. Leading
 * blanks are stripped, so an indented line is a key and never a continuation. */
static bool known_section(const char *name);

static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	int c = EOF, i = 0;

	if (p->err_line)
		return NULL;
	while ((c = getc(p->f)) != EOF && c != '\n') {
		if (c == '\0') {
			fail(p, p->line + 1, "NUL byte in the file");
			return NULL;
		}
		if (i >= num - 1) {
			fail(p, p->line + 1, "line too long (more than %d bytes)", num - 1);
			return NULL;
		}
		str[i++] = (char)c;
	}
	if (c == EOF && i == 0)
		return NULL;
	p->line++;
	if (!utf8_valid((unsigned char *)str, (size_t)i)) {
		fail(p, p->line, "not valid UTF-8");
		return NULL;
	}
	str[i] = '\0';
	size_t lead = strspn(str, " \t");
	memmove(str, str + lead, (size_t)i - lead + 1);
	/* inih reports a section only with its first key: check the name here,
	 * so that a lone misspelt [section] is an error too */
	if (str[0] == '[') {
		size_t len = strcspn(str + 1, "]");
		char name[32];

		if (str[1 + len] == ']' && len < sizeof(name)) {
			memcpy(name, str + 1, len);
			name[len] = '\0';
			if (!known_section(name)) {
				fail(p, p->line, "unknown section [%s]", name);
				return NULL;
			}
		}
	}
	return str;
}

static const struct roam_key *find_key(const struct roam_section *s, const char *name,
				       size_t *idx)
{
	for (size_t k = 0; k < s->nkeys; k++)
		if (!strcasecmp(s->keys[k].name, name)) {
			*idx = k;
			return &s->keys[k];
		}
	return NULL;
}

static bool known_section(const char *name)
{
	for (size_t i = 0; i < sizeof(known_sections) / sizeof(*known_sections); i++)
		if (!strcasecmp(known_sections[i], name))
			return true;
	return false;
}

static bool check_value(const struct roam_key *key, const char *value, const char *where,
			struct roam_error *e);

static int handle(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	struct roam_conf *c = p->conf;
	struct roam_error ve;
	char where[32];
	const struct roam_key *key;
	struct roam_value *val;
	size_t s, k, first;

	if (p->err_line)
		return 0;
	if (!*section)
		return fail(p, p->line, "key '%s' outside of a section", name);
	if (!known_section(section))
		return fail(p, p->line, "unknown section [%s]", section);
	for (s = 0; s < c->nsecs && strcasecmp(c->secs[s]->name, section); s++)
		;
	if (s == c->nsecs)
		return 1;	/* another tool's section */
	key = find_key(c->secs[s], name, &k);
	if (!key)
		return fail(p, p->line, "unknown key '%s' in [%s]", name, c->secs[s]->name);
	val = &c->vals[s][k];
	if (val->line && !key->list)
		return fail(p, p->line, "duplicate key '%s' in [%s] (first set on line %u)",
			    key->name, c->secs[s]->name, val->line);
	if (!*value)
		return fail(p, p->line, "empty value for '%s' in [%s]", key->name,
			    c->secs[s]->name);
	first = val->n;
	if (!split_words(value, key->list, &val->v, &val->n))
		return fail(p, p->line, "out of memory");
	snprintf(where, sizeof(where), " in [%s]", c->secs[s]->name);
	for (size_t i = first; i < val->n; i++)
		if (!check_value(key, val->v[i], where, &ve))
			return fail(p, p->line, "%s", ve.msg);
	if (!val->line)
		val->line = p->line;
	return 1;
}

bool roam_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, true;
		if (!strcasecmp(s, no[i]))
			return *out = false, true;
	}
	return false;
}

bool roam_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9') {
		if (*s != '-' || s[1] < '0' || s[1] > '9')
			return false;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool in_choices(const char *choices, const char *value)
{
	size_t len = strlen(value);

	for (const char *w = choices; w && *w;) {
		size_t wl = strcspn(w, "|");

		if (wl == len && !strncasecmp(w, value, len))
			return true;
		w += wl + (w[wl] == '|');
	}
	return false;
}

/* where: " in [probe]" when checking a file's value, "" for a command-line one */
static bool check_value(const struct roam_key *key, const char *value, const char *where,
			struct roam_error *e)
{
	struct roam_prefix pfx;
	struct roam_error pe;
	struct in_addr a;
	long l;
	bool b;

	if (key->type != ROAM_T_STRING && in_choices(key->choices, value))
		return true;
	switch (key->type) {
	case ROAM_T_STRING:
		if (*value)
			return true;
		return roam_error_set(e, "empty value for '%s'%s", key->name, where);
	case ROAM_T_INT:
		if (roam_parse_long(value, key->min, key->max, &l))
			return true;
		return roam_error_set(e, "bad value '%s' for '%s'%s: expected an integer from %ld to %ld",
				      value, key->name, where, key->min, key->max);
	case ROAM_T_BOOL:
		if (roam_parse_bool(value, &b))
			return true;
		return roam_error_set(e, "bad value '%s' for '%s'%s: expected yes or no",
				      value, key->name, where);
	case ROAM_T_ENUM:
		return roam_error_set(e, "bad value '%s' for '%s'%s: expected one of %s",
				      value, key->name, where, key->choices);
	case ROAM_T_IPV4:
		if (roam_parse_ipv4(value, &a, NULL))
			return true;
		return roam_error_set(e, "bad value '%s' for '%s'%s: expected an IPv4 address%s%s",
				      value, key->name, where, key->choices ? " or " : "",
				      key->choices ? key->choices : "");
	case ROAM_T_PREFIX:
		if (roam_parse_prefix(value, &pfx, &pe))
			return true;
		return roam_error_set(e, "bad value for '%s'%s: %s", key->name, where, pe.msg);
	}
	return roam_error_set(e, "key '%s' has an unknown type", key->name);
}

bool roam_key_check(const struct roam_key *key, const char *value, struct roam_error *e)
{
	return check_value(key, value, "", e);
}

void roam_conf_free(struct roam_conf *c)
{
	if (!c)
		return;
	for (size_t s = 0; c->vals && s < c->nsecs; s++) {
		for (size_t k = 0; c->vals[s] && k < c->secs[s]->nkeys; k++) {
			struct roam_value *v = &c->vals[s][k];

			for (size_t i = 0; i < v->n; i++)
				free(v->v[i]);
			for (size_t i = 0; i < v->ndef; i++)
				free(v->defv[i]);
			free(v->v);
			free(v->defv);
		}
		free(c->vals[s]);
	}
	free(c->vals);
	free(c->path);
	free(c);
}

static struct roam_conf *conf_new(const struct roam_section *const *secs, size_t nsecs)
{
	struct roam_conf *c = calloc(1, sizeof(*c));

	if (!c || !(c->vals = calloc(nsecs, sizeof(*c->vals)))) {
		free(c);
		return NULL;
	}
	c->secs = secs;
	c->nsecs = nsecs;
	for (size_t s = 0; s < nsecs; s++) {
		c->vals[s] = calloc(secs[s]->nkeys ? secs[s]->nkeys : 1, sizeof(**c->vals));
		if (!c->vals[s])
			goto oom;
		for (size_t k = 0; k < secs[s]->nkeys; k++) {
			const struct roam_key *key = &secs[s]->keys[k];
			struct roam_value *v = &c->vals[s][k];

			if (key->def && !split_words(key->def, key->list, &v->defv, &v->ndef))
				goto oom;
		}
	}
	return c;
oom:
	roam_conf_free(c);
	return NULL;
}

/* The file to read: -c FILE, else the user's, else the system's; NULL when
 * none exists. An existing file we cannot read is an error, not a default. */
static char *find_file(const char *path, unsigned flags, struct roam_error *e, bool *failed)
{
	char buf[PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	*failed = false;
	if (path)
		return strdup(path);
	if (flags & ROAM_CONF_USER) {
		int n = -1;

		if (xdg && *xdg == '/')
			n = snprintf(buf, sizeof(buf), "%s/roam/roam.conf", xdg);
		else if (home && *home == '/')
			n = snprintf(buf, sizeof(buf), "%s/.config/roam/roam.conf", home);
		if (n > 0 && (size_t)n < sizeof(buf) && access(buf, F_OK) == 0)
			return strdup(buf);
	}
	if (access(ROAM_SYSCONFDIR "/roam.conf", F_OK) == 0)
		return strdup(ROAM_SYSCONFDIR "/roam.conf");
	if (errno != ENOENT) {
		*failed = true;
		roam_error_set(e, "%s: %s", ROAM_SYSCONFDIR "/roam.conf", strerror(errno));
	}
	return NULL;
}

static bool parse_file(struct roam_conf *c, struct roam_error *e)
{
	struct parse_ctx p = { .conf = c, .e = e };
	struct stat st = { 0 };
	int rc, fd;

	/* -c /dev/null: all defaults (a device is no config the walk accepts) */
	if (strcmp(c->path, "/dev/null") == 0)
		return true;
	/* a config names commands and decides where mail goes: only one that
	 * nobody but its owner and root can change is read at all */
	fd = roam_open_trusted(c->path, O_RDONLY, e);
	if (fd < 0)
		return errno == EPERM ? false : roam_error_set(e, "cannot read '%s': %s", c->path,
							       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(p.f = fdopen(fd, "r"))) {
		roam_error_set(e, "cannot read '%s': %s", c->path,
			       S_ISDIR(st.st_mode) ? "is a directory" : strerror(errno));
		close(fd);
		return false;
	}
	rc = ini_parse_stream(read_line, &p, handle, &p);
	if (!p.err_line && ferror(p.f))
		roam_error_set(e, "%s: read error: %s", c->path, strerror(errno)), p.err_line = 1;
	fclose(p.f);
	/* inih's own syntax errors come back as a line number; ours are already
	 * in e. The earlier of the two is the one to show. */
	if (rc > 0 && (!p.err_line || (unsigned)rc < p.err_line)) {
		roam_error_set(e, "%s:%d: syntax error: expected '[section]' or 'key = value'",
			       c->path, rc);
		return false;
	}
	if (rc < 0)
		return roam_error_set(e, "%s: out of memory", c->path);
	return p.err_line == 0;
}

struct roam_conf *roam_conf_load(const char *path, unsigned flags,
				 const struct roam_section *const *secs, size_t nsecs,
				 struct roam_error *e)
{
	struct roam_conf *c = conf_new(secs, nsecs);
	bool failed;

	if (!c) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	c->path = find_file(path, flags, e, &failed);
	if (failed || (c->path && !parse_file(c, e))) {
		roam_conf_free(c);
		return NULL;
	}
	return c;
}

const char *roam_conf_path(const struct roam_conf *c)
{
	return c->path;
}

static const struct roam_value *lookup(const struct roam_conf *c, const char *sec,
				       const char *key, const struct roam_key **kp)
{
	for (size_t s = 0; s < c->nsecs; s++) {
		size_t k;

		if (strcmp(c->secs[s]->name, sec))
			continue;
		if ((*kp = find_key(c->secs[s], key, &k)))
			return &c->vals[s][k];
	}
	fprintf(stderr, "roam: internal error: no key '%s' in [%s]\n", key, sec);
	abort();
}

size_t roam_conf_list(const struct roam_conf *c, const char *sec, const char *key,
		      const char *const **values)
{
	const struct roam_key *k;
	const struct roam_value *v = lookup(c, sec, key, &k);

	if (v->n) {
		*values = (const char *const *)v->v;
		return v->n;
	}
	*values = (const char *const *)v->defv;
	return v->ndef;
}

const char *roam_conf_str(const struct roam_conf *c, const char *sec, const char *key)
{
	const char *const *v;

	return roam_conf_list(c, sec, key, &v) ? v[0] : NULL;
}

long roam_conf_int(const struct roam_conf *c, const char *sec, const char *key)
{
	const struct roam_key *k;
	const char *s;
	long v = 0;

	lookup(c, sec, key, &k);
	s = roam_conf_str(c, sec, key);
	if (s && !roam_parse_long(s, k->min, k->max, &v))
		v = 0;	/* unreachable for checked values: only defaults could be bad */
	return v;
}

bool roam_conf_bool(const struct roam_conf *c, const char *sec, const char *key)
{
	const char *s = roam_conf_str(c, sec, key);
	bool b = false;

	return s && roam_parse_bool(s, &b) && b;
}

bool roam_conf_is_set(const struct roam_conf *c, const char *sec, const char *key)
{
	const struct roam_key *k;

	return lookup(c, sec, key, &k)->line != 0;
}

const char *roam_conf_where(const struct roam_conf *c, const char *sec, const char *key,
			    char *buf, size_t len)
{
	const struct roam_key *k;
	const struct roam_value *v = lookup(c, sec, key, &k);

	if (!v->line)
		snprintf(buf, len, "default");
	else
		snprintf(buf, len, "%s:%u", c->path, v->line);
	return buf;
}
