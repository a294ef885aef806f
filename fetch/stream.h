/* SPDX-License-Identifier: MIT */
/*
 * stream.h — the byte streams to the POP3 server that the pump carries, and
 * the transport (a "dialer") that opens them. Two kinds, one file each:
 *
 *   stream_ssh2.c  one libssh2 session; each stream is a direct-tcpip channel
 *                  of it (keepalives, the session's TCP socket, TCP_QUICKACK);
 *   stream_cmd.c   ssh_command: each stream is a child process whose stdin
 *                  and stdout are the bytes (its stderr's last line explains
 *                  a failure), reaped by the dialer, killed when it lingers.
 *
 * The pump (pump.h) knows only these operations. Every operation is called
 * from one thread at a time: the thread that runs the pump while streams are
 * in it.
 */
#ifndef ROAM_FETCH_STREAM_H
#define ROAM_FETCH_STREAM_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* what read, write and send_eof return besides a byte count */
enum {
	STREAM_AGAIN = -1,	/* nothing now: poll again */
	STREAM_ENDED = -2,	/* this stream is gone; the transport is fine */
	STREAM_FAILED = -3,	/* the transport is gone: every stream with it */
};

enum { STREAM_MAX_FDS = 3 };

struct stream;

struct stream_ops {
	/* > 0 bytes, 0 at the end of the server's bytes, or STREAM_* */
	ssize_t (*read)(struct stream *s, char *buf, size_t len);
	/* > 0 bytes taken, or STREAM_* */
	ssize_t (*write)(struct stream *s, const char *buf, size_t len);
	/* no more bytes towards the server: 0, or STREAM_* */
	int (*send_eof)(struct stream *s);
	/* up to STREAM_MAX_FDS descriptors of its own to wait on, given what the
	 * pump would do next: read (want_read) or write (want_write); returns
	 * how many (a stream carried by its dialer's connection has none) */
	size_t (*poll_fds)(struct stream *s, bool want_read, bool want_write, struct pollfd *fds);
	/* closes and frees s */
	void (*close)(struct stream *s);
};

struct stream {
	const struct stream_ops *ops;
};

struct dialer;

struct dialer_ops {
	/* A new stream to the POP3 server. NULL + e: *fatal when the transport
	 * itself is gone (not only this stream refused). */
	struct stream *(*open)(struct dialer *d, bool *fatal, struct roam_error *e);
	/* Before every wait: keepalives, reaping children; may lower
	 * *timeout_ms (-1: none yet). False + e when the transport failed. */
	bool (*tick)(struct dialer *d, int *timeout_ms, struct roam_error *e);
	/* The transport's own descriptor to watch (0 or 1 in fds); want_io:
	 * some stream would move bytes. */
	size_t (*poll_fds)(struct dialer *d, bool want_io, struct pollfd *fds);
	/* After the wait, with what poll_fds gave: false + e when the
	 * transport is gone. */
	bool (*check)(struct dialer *d, const struct pollfd *fds, size_t n, struct roam_error *e);
	/* The trouble the transport saw (a child that failed): 0, or a
	 * FETCH_EXIT_* with e; each trouble is told once. With wait, first waits
	 * until the streams closed so far have wholly ended (children reaped,
	 * killed when they linger). */
	int (*verdict)(struct dialer *d, bool wait, struct roam_error *e);
	/* The last transport failure as text, for STREAM_FAILED. */
	const char *(*why)(struct dialer *d);
	/* Waits for (at most a moment, then kills) what is left, frees d. */
	void (*close)(struct dialer *d, const char *why);
};

struct dialer {
	const struct dialer_ops *ops;
};

struct ssh_conn;
struct settings;

/* The transport the settings ask for (dialer.c): ssh_command's, or a libssh2
 * session opened now. NULL + e, *code (FETCH_EXIT_*) and *transient (trying
 * again later may help) when it cannot be had. */
struct dialer *dialer_open(const struct settings *s, int *code, bool *transient,
			   struct roam_error *e);

/* libssh2: wraps an open session (stream_ssh2.c); the dialer owns c. */
struct dialer *dialer_ssh2(struct ssh_conn *c, const char *host, int port, struct roam_error *e);

/* ssh_command (stream_cmd.c): every stream runs argv (already expanded) as
 * a child of its own; takes argv over (command_free). */
struct dialer *dialer_cmd(char **argv, struct roam_error *e);

#endif
