/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probestate.h"
#include "statefile.h"
#include "trust.h"

void roam_probestate_name(struct in_addr a, char name[ROAM_PROBESTATE_NAME_MAX])
{
	inet_ntop(AF_INET, &a, name, ROAM_PROBESTATE_NAME_MAX);
}

int roam_probestate_format(const struct roam_probestate *s, char *buf, size_t len)
{
	char method[16];
	int n;

	if (s->since < 0 || s->checked < s->since)
		return -1;
	if (s->method == ROAM_PROBE_TCP) {
		if (s->tcp_port == 0)
			return -1;
		snprintf(method, sizeof(method), "tcp:%u", (unsigned)s->tcp_port);
	} else {
		snprintf(method, sizeof(method), "%s", roam_probe_method_name(s->method));
	}
	n = snprintf(buf, len, "v1 %s %" PRId64 " %" PRId64 " %" PRIu32 " %s\n",
		     s->alive ? "alive" : "dead", s->since, s->checked, s->rtt_us, method);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

/* a plain decimal at *p (no sign, no leading zero, at most max), then `end` */
static bool take_number(const char **p, char end, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s != end)
		return false;
	*p = s + 1;
	*out = v;
	return true;
}

/* the word at *p up to `end`, compared against w */
static bool take_word(const char **p, const char *w, char end)
{
	size_t l = strlen(w);

	if (strncmp(*p, w, l) != 0 || (*p)[l] != end)
		return false;
	*p += l + 1;
	return true;
}

static bool take_method(const char **p, struct roam_probestate *out)
{
	uint64_t port;

	out->tcp_port = 0;
	if (take_word(p, "icmp", '\n'))
		out->method = ROAM_PROBE_ICMP;
	else if (take_word(p, "dgram", '\n'))
		out->method = ROAM_PROBE_DGRAM;
	else if (take_word(p, "none", '\n'))
		out->method = ROAM_PROBE_NONE;
	else if (strncmp(*p, "tcp:", 4) == 0) {
		*p += 4;
		if (!take_number(p, '\n', 65535, &port) || port == 0)
			return false;
		out->method = ROAM_PROBE_TCP;
		out->tcp_port = (uint16_t)port;
	} else
		return false;
	return true;
}

bool roam_probestate_parse(const char *text, struct roam_probestate *out, struct roam_error *e)
{
	struct roam_probestate s = { 0 };
	const char *p = text;
	uint64_t since, checked, rtt;

	if (!take_word(&p, "v1", ' '))
		return roam_error_set(e, "not a v1 state line");
	if (take_word(&p, "alive", ' '))
		s.alive = true;
	else if (!take_word(&p, "dead", ' '))
		return roam_error_set(e, "state is neither alive nor dead");
	if (!take_number(&p, ' ', INT64_MAX, &since) || !take_number(&p, ' ', INT64_MAX, &checked))
		return roam_error_set(e, "bad time field");
	if (!take_number(&p, ' ', UINT32_MAX, &rtt))
		return roam_error_set(e, "bad round-trip field");
	if (!take_method(&p, &s))
		return roam_error_set(e, "bad method field");
	if (*p != '\0')
		return roam_error_set(e, "trailing bytes after the state line");
	if (since > checked)
		return roam_error_set(e, "SINCE is later than CHECKED");
	s.since = (int64_t)since;
	s.checked = (int64_t)checked;
	s.rtt_us = (uint32_t)rtt;
	*out = s;
	return true;
}

/* buf holds what was read of name (n bytes, or -1 with errno): the state */
static bool state_from(const char *name, ssize_t n, const char *buf, struct roam_probestate *out,
		       struct roam_error *e)
{
	struct roam_error pe;

	if (n < 0) {
		int saved = errno;

		roam_error_set(e, "cannot read state file '%s': %s", name,
			       saved == EFBIG ? "too long" : strerror(saved));
		errno = saved;
		return false;
	}
	if (!roam_probestate_parse(buf, out, &pe)) {
		roam_error_set(e, "state file '%s' is malformed: %s", name, pe.msg);
		errno = EINVAL;
		return false;
	}
	return true;
}

bool roam_probestate_read_at(int dirfd, struct in_addr a, struct roam_probestate *out,
			     struct roam_error *e)
{
	char name[ROAM_PROBESTATE_NAME_MAX], buf[ROAM_PROBESTATE_MAX];

	roam_probestate_name(a, name);
	return state_from(name, roam_read_small_at(dirfd, name, buf, sizeof(buf)), buf, out, e);
}

/* The state file may decide where mail goes: it must be written by whoever
 * writes the (trusted) directory, not planted 0666 by a stranger; checked on
 * the descriptor that is then read. */
bool roam_probestate_read_trusted(int dirfd, const char *name, struct roam_probestate *out,
				  struct stat *st, struct roam_error *e)
{
	char buf[ROAM_PROBESTATE_MAX];
	struct roam_error te;
	int fd, saved;
	ssize_t n = -1;

	if ((fd = roam_openat_trusted(dirfd, name, O_RDONLY, &te)) < 0) {
		saved = errno;
		if (saved == EPERM)
			roam_error_set(e, "state file %s", te.msg);
		else
			state_from(name, -1, buf, out, e);
		errno = saved;
		return false;
	}
	if (!st || fstat(fd, st) == 0)
		n = roam_read_small_fd(fd, buf, sizeof(buf));
	saved = errno;
	close(fd);
	errno = saved;
	return state_from(name, n, buf, out, e);
}

bool roam_probestate_read(const char *dir, struct in_addr a, struct roam_probestate *out,
			  struct roam_error *e)
{
	/* the probe may run as its own account: a directory root made for it
	 * (and handed over) is as good as root's own */
	int dirfd = roam_open_trusted_flags(dir, O_RDONLY | O_DIRECTORY, ROAM_TRUST_DELEGATED, e);
	char name[ROAM_PROBESTATE_NAME_MAX];
	bool ok;
	int saved;

	if (dirfd < 0) {
		saved = errno;
		if (saved != EPERM)
			roam_error_set(e, "cannot open state directory '%s': %s", dir, strerror(saved));
		errno = saved;
		return false;
	}
	roam_probestate_name(a, name);
	ok = roam_probestate_read_trusted(dirfd, name, out, NULL, e);
	saved = errno;
	close(dirfd);
	errno = saved;
	return ok;
}

bool roam_probestate_write_at(int dirfd, struct in_addr a, const struct roam_probestate *s,
			      struct roam_error *e)
{
	char name[ROAM_PROBESTATE_NAME_MAX], buf[ROAM_PROBESTATE_MAX];
	int len = roam_probestate_format(s, buf, sizeof(buf));

	roam_probestate_name(a, name);
	if (len < 0)
		return roam_error_set(e, "invalid state for '%s'", name);
	return roam_atomic_write_at(dirfd, name, buf, (size_t)len, ROAM_PROBESTATE_MODE, e);
}
