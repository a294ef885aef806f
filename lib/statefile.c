/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "statefile.h"

/* ".NAME.XXXXXXXX": hidden, so that readers that list the directory skip it */
static int open_temp(int dirfd, const char *name, char *tmp, size_t tmplen)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned r;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned)getpid() ^ (unsigned)tries * 2654435761u;
		if (snprintf(tmp, tmplen, ".%s.%08x", name, r) >= (int)tmplen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* shown: how messages name the file (the caller's path, not only its base name) */
static bool atomic_write(int dirfd, const char *name, const char *shown, const void *data,
			 size_t len, mode_t mode, struct roam_error *e)
{
	char tmp[NAME_MAX + 1];
	int fd, saved;

	fd = open_temp(dirfd, name, tmp, sizeof(tmp));
	if (fd < 0)
		return roam_error_set(e, "cannot create a temporary file for '%s': %s",
				      shown, strerror(errno));
	if (!roam_write_all(fd, data, len) || fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0)
		goto fail;
	/* the rename itself is durable only once the directory is */
	if (fsync(dirfd) < 0)
		return roam_error_set(e, "cannot sync the directory of '%s': %s",
				      shown, strerror(errno));
	return true;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return roam_error_set(e, "cannot write '%s': %s", shown, strerror(saved));
}

bool roam_atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
			  mode_t mode, struct roam_error *e)
{
	return atomic_write(dirfd, name, name, data, len, mode, e);
}

bool roam_atomic_write(const char *path, const void *data, size_t len, mode_t mode,
		       struct roam_error *e)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);
	bool ok = false;
	int dirfd;

	if (!dcopy || !bcopy) {
		roam_error_set(e, "out of memory");
		goto out;
	}
	dirfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		roam_error_set(e, "cannot open the directory of '%s': %s", path, strerror(errno));
		goto out;
	}
	ok = atomic_write(dirfd, basename(bcopy), path, data, len, mode, e);
	close(dirfd);
out:
	free(dcopy);
	free(bcopy);
	return ok;
}

ssize_t roam_read_small_fd(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap == 0) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			errno = EFBIG;
			return -1;
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		errno = EINVAL;
		return -1;
	}
	return (ssize_t)len;
}

ssize_t roam_read_small_at(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = roam_read_small_fd(fd, buf, cap);
	saved = errno;
	close(fd);
	errno = saved;
	return n;
}

ssize_t roam_read_small(const char *path, char *buf, size_t cap)
{
	return roam_read_small_at(AT_FDCWD, path, buf, cap);
}
