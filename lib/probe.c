/* SPDX-License-Identifier: MIT */
/* probe.c — method selection and the pass: the engines are in probe_dgram.c,
 * probe_tcp.c and (outside libroam, with liboping) probe/icmp.c. */
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "probe_clock.h"

void roam_probe_opts_init(struct roam_probe_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->methods[0] = ROAM_PROBE_ICMP;
	o->methods[1] = ROAM_PROBE_DGRAM;
	o->methods[2] = ROAM_PROBE_TCP;
	o->count = 3;
	o->deadline_ms = 1000;
	o->tcp_port = 25;
}

/* "1".."65535", digits only (no sign, blanks or leading zeros) */
static bool parse_port(const char *s, long *out)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9' && v <= 65535; s++)
		v = v * 10 + (*s - '0');
	if (*s != '\0' || v > 65535)
		return false;
	*out = v;
	return true;
}

const char *roam_probe_method_name(enum roam_probe_method m)
{
	switch (m) {
	case ROAM_PROBE_ICMP:  return "icmp";
	case ROAM_PROBE_DGRAM: return "dgram";
	case ROAM_PROBE_TCP:   return "tcp";
	default:               return "none";
	}
}

bool roam_probe_parse_method(const char *s, struct roam_probe_opts *o, struct roam_error *e)
{
	enum roam_probe_method one = ROAM_PROBE_NONE;
	long port = o->tcp_port;

	if (strcmp(s, "auto") == 0) {
		o->methods[0] = ROAM_PROBE_ICMP;
		o->methods[1] = ROAM_PROBE_DGRAM;
		o->methods[2] = ROAM_PROBE_TCP;
		return true;
	}
	if (strcmp(s, "icmp") == 0)
		one = ROAM_PROBE_ICMP;
	else if (strcmp(s, "dgram") == 0)
		one = ROAM_PROBE_DGRAM;
	else if (strcmp(s, "tcp") == 0)
		one = ROAM_PROBE_TCP;
	else if (strncmp(s, "tcp:", 4) == 0 && parse_port(s + 4, &port))
		one = ROAM_PROBE_TCP;
	if (one == ROAM_PROBE_NONE)
		return roam_error_set(e, "bad method '%s': use auto, icmp, dgram, tcp or tcp:PORT "
				      "(PORT 1..65535)", s);
	memset(o->methods, 0, sizeof(o->methods));
	o->methods[0] = one;
	o->tcp_port = (uint16_t)port;
	return true;
}

unsigned roam_probe_send_at(unsigned i, unsigned count, unsigned deadline_ms)
{
	if (count <= 1 || i == 0)
		return 0;
	if (i >= count)
		i = count - 1;
	return (unsigned)((uint64_t)deadline_ms / 2 * i / (count - 1));
}

static int run_method(enum roam_probe_method m, struct roam_probe_target *t, size_t n,
		      const struct roam_probe_opts *o, unsigned left_ms, struct roam_error *e)
{
	switch (m) {
	case ROAM_PROBE_ICMP:
		if (!o->icmp || !o->icmp->run) {
			roam_error_set(e, "not available in this program");
			return 0;
		}
		return o->icmp->run(t, n, o->count, left_ms, e);
	case ROAM_PROBE_DGRAM:
		return roam_probe_dgram(t, n, o->count, left_ms, e);
	case ROAM_PROBE_TCP:
		return roam_probe_tcp(t, n, o->count, left_ms, o->tcp_port, e);
	default:
		roam_error_set(e, "unknown method %d", (int)m);
		return -1;
	}
}

enum roam_probe_method roam_probe_run(struct roam_probe_target *t, size_t n,
				      const struct roam_probe_opts *o, struct roam_error *e)
{
	uint64_t end = roam_probe_now_us() + (uint64_t)o->deadline_ms * 1000u;
	char why[sizeof(e->msg)] = "";

	if (o->count < 1 || o->count > ROAM_PROBE_MAX_COUNT) {
		roam_error_set(e, "probe count %u is outside 1..%d", o->count, ROAM_PROBE_MAX_COUNT);
		return ROAM_PROBE_NONE;
	}
	for (int i = 0; i < ROAM_PROBE_MAX_METHODS && o->methods[i] != ROAM_PROBE_NONE; i++) {
		enum roam_probe_method m = o->methods[i];
		struct roam_error me = { "" };
		uint64_t now = roam_probe_now_us();
		unsigned left = now < end ? (unsigned)((end - now) / 1000u) : 0;
		size_t used = strlen(why);
		int r;

		for (size_t j = 0; j < n; j++) {
			t[j].alive = false;
			t[j].rtt_us = 0;
			t[j].method = m;
		}
		r = run_method(m, t, n, o, left, &me);
		if (r > 0) {
			if (o->skipped)
				snprintf(o->skipped->msg, sizeof(o->skipped->msg), "%s", why);
			return m;
		}
		if (r < 0) {
			roam_error_set(e, "%s: %s", roam_probe_method_name(m), me.msg);
			return ROAM_PROBE_NONE;
		}
		/* unavailable: remember why and hand the rest of the deadline on */
		snprintf(why + used, sizeof(why) - used, "%s%s: %s", used ? "; " : "",
			 roam_probe_method_name(m), me.msg);
	}
	for (size_t j = 0; j < n; j++)
		t[j].method = ROAM_PROBE_NONE;
	roam_error_set(e, "no probe method is available (%s)", why[0] ? why : "none configured");
	return ROAM_PROBE_NONE;
}
