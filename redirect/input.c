/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input.h"

enum { BLOCK = 64 * 1024, SPLICE_CHUNK = 1 << 20 };

int64_t redirect_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd has bytes (or EOF) or until passes: 1 readable, 0 time is
 * up, -1 error (errno). A regular file is always readable. */
static int wait_readable(int fd, int64_t until)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		int64_t left = until - redirect_now_ms();
		int n = poll(&p, 1, left > 0 ? (int)(left > 60000 ? 60000 : left) : 0);

		if (n > 0)
			return 1;	/* POLLIN, POLLHUP, POLLERR: the read says which */
		if (n < 0 && errno != EINTR)
			return -1;
		if (n == 0 && left <= 0)
			return 0;
	}
}

static enum input_end read_error(struct roam_error *e)
{
	roam_error_set(e, "cannot read the message on stdin: %s", strerror(errno));
	return INPUT_ERROR;
}

/* a read() that waits no later than until; *got 0 at the end */
static enum input_end read_some(int fd, char *buf, size_t len, int64_t until, ssize_t *got)
{
	for (;;) {
		int w = wait_readable(fd, until);
		ssize_t n;

		if (w == 0)
			return INPUT_TIMEOUT;
		if (w < 0 && errno == EBADF)
			break;		/* stdin was closed: an empty message */
		if (w < 0)
			return INPUT_ERROR;
		n = read(fd, buf, len);
		if (n >= 0) {
			*got = n;
			return INPUT_DONE;
		}
		if (errno == EBADF)
			break;
		if (errno != EINTR && errno != EAGAIN)
			return INPUT_ERROR;
	}
	*got = 0;
	return INPUT_DONE;
}

static enum input_end drain_by_read(int fd, unsigned long long *size, int64_t until,
				    struct roam_error *e)
{
	char buf[BLOCK];
	ssize_t n = 0;
	enum input_end r;

	while ((r = read_some(fd, buf, sizeof(buf), until, &n)) == INPUT_DONE && n > 0)
		*size += (unsigned long long)n;
	return r == INPUT_ERROR ? read_error(e) : r;
}

/* Moves the pipe's bytes to /dev/null without copying them to us. Returns
 * INPUT_ERROR with errno EINVAL when fd is no pipe, so that the caller
 * reads. SPLICE_F_NONBLOCK: an empty pipe answers EAGAIN and we poll, so
 * that `until` holds. */
static enum input_end drain_by_splice(int fd, unsigned long long *size, int64_t until)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), saved;
	enum input_end r = INPUT_DONE;
	ssize_t n;

	if (null < 0) {
		errno = EINVAL;	/* no /dev/null (a chroot?): reading works anyway */
		return INPUT_ERROR;
	}
	while ((n = splice(fd, NULL, null, NULL, SPLICE_CHUNK,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK)) != 0) {
		int w;

		if (n > 0) {
			*size += (unsigned long long)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			r = INPUT_ERROR;
			break;
		}
		w = wait_readable(fd, until);
		if (w <= 0) {
			r = w ? INPUT_ERROR : INPUT_TIMEOUT;
			break;
		}
	}
	saved = errno;
	close(null);
	errno = saved;
	return r;
}

enum input_end redirect_read_header(int fd, struct header_scan *scan, unsigned long long *size,
				    int64_t until, struct roam_error *e)
{
	char buf[BLOCK];
	ssize_t n = 0;
	enum input_end r = INPUT_DONE;

	while (!scan->done && (r = read_some(fd, buf, sizeof(buf), until, &n)) == INPUT_DONE &&
	       n > 0) {
		*size += (unsigned long long)n;
		header_scan_feed(scan, buf, (size_t)n);
	}
	if (r == INPUT_ERROR)
		return read_error(e);
	if (r == INPUT_DONE)
		header_scan_finish(scan);	/* EOF inside the header: its last line */
	return r;
}

enum input_end redirect_drain(int fd, unsigned long long *size, int64_t until,
			      struct roam_error *e)
{
	enum input_end r = drain_by_splice(fd, size, until);

	if (r != INPUT_ERROR)
		return r;
	if (errno == EBADF)
		return INPUT_DONE;	/* stdin was closed */
	if (errno != EINVAL)
		return read_error(e);
	return drain_by_read(fd, size, until, e);
}
