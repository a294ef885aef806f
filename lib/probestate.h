/* SPDX-License-Identifier: MIT */
/*
 * probestate.h — the state file roam-probe writes and roam-redirect reads.
 *
 * One file per target in the state directory, named after the target's
 * dotted-quad address (STATE_DIR/198.51.100.180), holding one line:
 *
 *     v1 STATE SINCE CHECKED RTT_US METHOD\n
 *
 * STATE is "alive" or "dead"; SINCE is when the target became so and CHECKED
 * the last pass that confirmed it (Unix seconds, SINCE <= CHECKED); RTT_US is
 * the fastest answer of that pass in microseconds (0 when dead); METHOD is
 * icmp, dgram, tcp:PORT or none. Fields are separated by one space; numbers
 * are plain decimals without sign or leading zeros.
 *
 * The reader sits in a mail path, so parsing is strict: anything else (a
 * missing newline, extra bytes, a torn line, a number out of range) is
 * rejected, and the caller treats the target as unknown. Files are written
 * atomically (lib/statefile.h) with mode 0644 so any user's procmail can read
 * them.
 */
#ifndef ROAM_PROBESTATE_H
#define ROAM_PROBESTATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "probe.h"

#define ROAM_PROBESTATE_MODE 0644
#define ROAM_PROBESTATE_MAX 128		/* bytes; a longer file is not a state file */
#define ROAM_PROBESTATE_NAME_MAX 16	/* "255.255.255.255" + NUL */

struct roam_probestate {
	bool alive;
	int64_t since;			/* Unix seconds */
	int64_t checked;		/* Unix seconds, >= since */
	uint32_t rtt_us;
	enum roam_probe_method method;	/* ROAM_PROBE_NONE: "none" */
	uint16_t tcp_port;		/* with ROAM_PROBE_TCP: 1..65535 */
};

/* The file name of a target: its dotted-quad address. */
void roam_probestate_name(struct in_addr a, char name[ROAM_PROBESTATE_NAME_MAX]);

/* The line for s into buf; returns its length, or -1 when buf is too small or
 * s is not valid (since > checked, negative times, tcp without a port). */
int roam_probestate_format(const struct roam_probestate *s, char *buf, size_t len);

/* Parses the whole text of a state file; false (e says why) unless it is
 * exactly one valid line. */
bool roam_probestate_parse(const char *text, struct roam_probestate *out, struct roam_error *e);

/* Reads dir/NAME or (dirfd, NAME) for target a. False with e filled when the
 * file is missing (errno ENOENT), unreadable, too long or malformed. */
bool roam_probestate_read(const char *dir, struct in_addr a, struct roam_probestate *out,
			  struct roam_error *e);
bool roam_probestate_read_at(int dirfd, struct in_addr a, struct roam_probestate *out,
			     struct roam_error *e);

/* The file name in dirfd (a trusted directory), opened through
 * roam_openat_trusted and read from that very descriptor; st, when not
 * NULL, gets its identity (fstat) for a caller that caches the result. */
bool roam_probestate_read_trusted(int dirfd, const char *name, struct roam_probestate *out,
				  struct stat *st, struct roam_error *e);

/* Writes the state of target a atomically, mode 0644. */
bool roam_probestate_write_at(int dirfd, struct in_addr a, const struct roam_probestate *s,
			      struct roam_error *e);

#endif
