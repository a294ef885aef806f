/* SPDX-License-Identifier: MIT */
/*
 * probe.h — is an IPv4 address alive? Many targets in one pass, one deadline.
 *
 * The caller fills an array of targets and options (methods to try in order,
 * k probes per target, one total deadline) and roam_probe_run() answers for
 * every target: alive or dead, the fastest round trip, the method used.
 *
 * Each target gets up to `count` probes, spread over the first part of the
 * deadline so that one lost packet (or a short burst) does not decide; a
 * target is alive as soon as one probe is answered, and the pass ends when
 * every target is alive or the deadline has passed, whichever comes first.
 *
 * Methods, in the order `auto` tries them:
 *   icmp  — liboping (SOCK_RAW: root or cap_net_raw). Not in libroam: the
 *           prober links probe/icmp.c and hands it in through opts.icmp, so
 *           that tools that must start fast (roam-redirect) never load
 *           liboping. With opts.icmp == NULL the method is unavailable.
 *   dgram — the kernel's ICMP "ping" socket (SOCK_DGRAM, IPPROTO_ICMP),
 *           allowed when the caller's group is in net.ipv4.ping_group_range.
 *           One socket serves every target.
 *   tcp   — a non-blocking connect to opts.tcp_port: an accepted connection
 *           or a refusal (RST) both prove the host is there; silence or an
 *           ICMP unreachable mean dead.
 * A method that cannot run here (no privilege) hands the pass to the next one
 * in the list, within the same deadline; a target that does not answer is
 * dead, never a reason to try another method.
 */
#ifndef ROAM_PROBE_H
#define ROAM_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum roam_probe_method {
	ROAM_PROBE_NONE = 0,	/* ends a method list; "no method ran" */
	ROAM_PROBE_ICMP,
	ROAM_PROBE_DGRAM,
	ROAM_PROBE_TCP,
};

#define ROAM_PROBE_MAX_METHODS 3
#define ROAM_PROBE_MAX_COUNT 100

struct roam_probe_target {
	struct in_addr addr;		/* in: network byte order */
	bool alive;			/* out */
	enum roam_probe_method method;	/* out: the method that probed it */
	uint32_t rtt_us;		/* out: fastest answer in microseconds; 0 when dead */
};

struct roam_probe_opts;

/* A method implemented outside libroam (icmp through liboping). run returns 1
 * when it probed every target, 0 when the method is unavailable here (e says
 * why; the engine tries the next method), -1 on a system error. It must return
 * by deadline_ms (relative to its call), which the engine sets to what is left. */
struct roam_probe_ops {
	const char *name;
	int (*run)(struct roam_probe_target *t, size_t n, unsigned count,
		   unsigned deadline_ms, struct roam_error *e);
};

struct roam_probe_opts {
	/* tried in order, ROAM_PROBE_NONE ends the list early */
	enum roam_probe_method methods[ROAM_PROBE_MAX_METHODS];
	unsigned count;			/* probes per target, 1..ROAM_PROBE_MAX_COUNT */
	unsigned deadline_ms;		/* for the whole pass, fallbacks included */
	uint16_t tcp_port;		/* for ROAM_PROBE_TCP */
	const struct roam_probe_ops *icmp;	/* NULL: icmp unavailable */
	/* optional: why the methods before the one that ran were skipped
	 * ("icmp: ...; dgram: ..."), empty when none was */
	struct roam_error *skipped;
};

/* Defaults: auto (icmp, dgram, tcp), count 3, 1000 ms, tcp port 25, no icmp ops. */
void roam_probe_opts_init(struct roam_probe_opts *o);

/* "auto", "icmp", "dgram", "tcp" or "tcp:PORT" into o->methods (and
 * o->tcp_port for tcp:PORT). Leaves o untouched on error. */
bool roam_probe_parse_method(const char *s, struct roam_probe_opts *o, struct roam_error *e);

/* "icmp", "dgram", "tcp", "none" */
const char *roam_probe_method_name(enum roam_probe_method m);

/* Probes every target. Returns the method that ran the pass, or
 * ROAM_PROBE_NONE with e filled when none could (every method unavailable, or
 * a system error such as running out of file descriptors). Targets may repeat;
 * each entry gets its own answer. */
enum roam_probe_method roam_probe_run(struct roam_probe_target *t, size_t n,
				      const struct roam_probe_opts *o, struct roam_error *e);

/* The method engines, for tests and for the ops table; each returns like
 * struct roam_probe_ops.run. */
int roam_probe_dgram(struct roam_probe_target *t, size_t n, unsigned count,
		     unsigned deadline_ms, struct roam_error *e);
int roam_probe_tcp(struct roam_probe_target *t, size_t n, unsigned count,
		   unsigned deadline_ms, uint16_t port, struct roam_error *e);

/* When probe number i (0-based) of count goes out, in ms after the start of a
 * pass of deadline_ms: spread over the first half, so that the last probe
 * still has half the deadline to be answered. */
unsigned roam_probe_send_at(unsigned i, unsigned count, unsigned deadline_ms);

#endif
