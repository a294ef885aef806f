/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "input.h"

enum { BLOCK = 64 * 1024, SPLICE_CHUNK = 1 << 20 };

/* -1: error (errno), 0: keep going, 1: try again after waiting (O_NONBLOCK) */
static int retry_or_fail(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (errno == EINTR)
		return 0;
	if (errno == EAGAIN) {
		(void)poll(&p, 1, -1);
		return 0;
	}
	return -1;
}

/* a read() that knows about EINTR and a non-blocking stdin; 0 at the end */
static ssize_t read_some(int fd, char *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len);

		if (n >= 0)
			return n;
		if (errno == EBADF)
			return 0;	/* stdin was closed: an empty message */
		if (retry_or_fail(fd) < 0)
			return -1;
	}
}

static bool read_error(struct roam_error *e)
{
	return roam_error_set(e, "cannot read the message on stdin: %s", strerror(errno));
}

static bool drain_by_read(int fd, unsigned long long *size, struct roam_error *e)
{
	char buf[BLOCK];
	ssize_t n;

	while ((n = read_some(fd, buf, sizeof(buf))) > 0)
		*size += (unsigned long long)n;
	return n == 0 || read_error(e);
}

/* Moves the pipe's bytes to /dev/null without copying them to us. Returns
 * false with errno EINVAL when fd is no pipe, so that the caller reads. */
static bool drain_by_splice(int fd, unsigned long long *size)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (null < 0) {
		errno = EINVAL;	/* no /dev/null (a chroot?): reading works anyway */
		return false;
	}
	while ((n = splice(fd, NULL, null, NULL, SPLICE_CHUNK, SPLICE_F_MOVE)) != 0) {
		if (n > 0)
			*size += (unsigned long long)n;
		else if (retry_or_fail(fd) < 0)
			break;
	}
	int saved = errno;
	close(null);
	errno = saved;
	return n == 0;
}

static bool scan_header(int fd, struct header_scan *scan, unsigned long long *size,
			struct roam_error *e)
{
	char buf[BLOCK];
	ssize_t n = 0;

	while (!scan->done && (n = read_some(fd, buf, sizeof(buf))) > 0) {
		*size += (unsigned long long)n;
		header_scan_feed(scan, buf, (size_t)n);
	}
	if (!scan->done) {
		header_scan_finish(scan);
		return n == 0 || read_error(e);
	}
	return true;
}

bool redirect_read_input(int fd, struct header_scan *scan, unsigned long long *size,
			 struct roam_error *e)
{
	*size = 0;
	if (scan && !scan_header(fd, scan, size, e))
		return false;
	if (drain_by_splice(fd, size))
		return true;
	if (errno == EBADF)
		return true;	/* stdin was closed */
	if (errno != EINVAL)
		return read_error(e);
	return drain_by_read(fd, size, e);
}
