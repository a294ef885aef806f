/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

/* Owners we accept: root, ourselves, and with ROAM_TRUST_DELEGATED those root
 * put in charge on the way down. A path rarely delegates more than once. */
struct walk {
	uid_t owner[8];
	size_t owners;
	unsigned flags;
};

static bool untrusted(struct roam_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool untrusted(struct roam_error *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	errno = EPERM;
	return false;
}

static bool owner_trusted(const struct walk *w, uid_t uid)
{
	for (size_t i = 0; i < w->owners; i++)
		if (w->owner[i] == uid)
			return true;
	return false;
}

/* One component, already open as fd's stat st; parent is the one above it
 * (NULL for "/"). shown is the path up to and including it. */
static bool check_one(struct walk *w, const char *shown, const struct stat *st,
		      const struct stat *parent, bool last, struct roam_error *e)
{
	mode_t mode = st->st_mode & 07777;

	if (!owner_trusted(w, st->st_uid)) {
		bool delegated = (w->flags & ROAM_TRUST_DELEGATED) && parent &&
				 S_ISDIR(st->st_mode) && !(parent->st_mode & 022) &&
				 w->owners < sizeof(w->owner) / sizeof(w->owner[0]);

		if (!delegated)
			return untrusted(e, "%s: owned by uid %u, neither root nor you; refusing it",
					 shown, (unsigned)st->st_uid);
		w->owner[w->owners++] = st->st_uid;
	}
	/* a sticky directory on the way (/tmp) is fine: nobody can rename or
	 * remove what another user owns in it, and the next component is
	 * checked in turn */
	if ((mode & 022) && (last || !S_ISDIR(st->st_mode) || !(mode & S_ISVTX)))
		return untrusted(e, "%s: writable by %s (mode %04o); refusing it", shown,
				 mode & 002 ? "others" : "group", (unsigned)mode);
	return true;
}

static bool sys_fail(struct roam_error *e, const char *shown, const char *what)
{
	int saved = errno;

	if (saved == ELOOP)
		roam_error_set(e, "%s: is a symbolic link (changed while being checked?)", shown);
	else
		roam_error_set(e, "%s%s: %s", what, shown, strerror(saved));
	errno = saved;
	return false;
}

/* Opens the last component for real and makes sure it is the very object
 * that was checked through its O_PATH descriptor. */
static int open_checked(int dirfd, const char *name, const char *shown, int oflags,
			const struct stat *checked, struct roam_error *e)
{
	struct stat st;
	int fd;

	if (!S_ISREG(checked->st_mode) && !S_ISDIR(checked->st_mode))
		return untrusted(e, "%s: not a regular file or directory; refusing it", shown), -1;
	fd = openat(dirfd, name, oflags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sys_fail(e, shown, "cannot open "), -1;
	if (fstat(fd, &st) < 0 || st.st_dev != checked->st_dev || st.st_ino != checked->st_ino) {
		close(fd);
		return untrusted(e, "%s: changed while being checked; refusing it", shown), -1;
	}
	return fd;
}

/* Walks the resolved path real (absolute, no symlinks, no "." or "..") from
 * "/" and opens it. */
static int walk_open(char *real, int oflags, unsigned tflags, struct roam_error *e)
{
	struct walk w = { .owner = { 0, geteuid() }, .owners = 2, .flags = tflags };
	struct stat st, parent;
	char *name = real + 1, *slash;
	int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dirfd < 0 || fstat(dirfd, &st) < 0)
		return sys_fail(e, "/", "cannot open "), (dirfd >= 0 ? close(dirfd) : 0), -1;
	if (!check_one(&w, "/", &st, NULL, *name == '\0', e))
		return close(dirfd), -1;
	if (*name == '\0') {
		fd = open_checked(dirfd, ".", "/", oflags, &st, e);
		close(dirfd);
		return fd;
	}
	for (;;) {
		bool last;

		slash = strchr(name, '/');
		last = slash == NULL;
		if (slash)
			*slash = '\0';
		parent = st;
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			sys_fail(e, real, "");
			goto fail;
		}
		if (!check_one(&w, real, &st, &parent, last, e))
			goto fail;
		if (last) {
			close(fd);
			fd = open_checked(dirfd, name, real, oflags, &st, e);
			close(dirfd);
			return fd;
		}
		close(dirfd);
		dirfd = fd;
		*slash = '/';
		name = slash + 1;
	}
fail:
	if (fd >= 0)
		close(fd);
	close(dirfd);
	return -1;
}

int roam_open_trusted_flags(const char *path, int oflags, unsigned tflags,
			    struct roam_error *e)
{
	char *real;
	int fd, saved;

	if (oflags & O_CREAT) {
		errno = EINVAL;
		return roam_error_set(e, "%s: cannot create through a trusted open", path), -1;
	}
	real = realpath(path, NULL);
	if (!real)
		return sys_fail(e, path, ""), -1;
	fd = walk_open(real, oflags, tflags, e);
	saved = errno;
	free(real);
	errno = saved;
	return fd;
}

int roam_open_trusted(const char *path, int oflags, struct roam_error *e)
{
	return roam_open_trusted_flags(path, oflags, 0, e);
}

/* mkdir -p: each missing directory of path with mode, whatever the umask */
static bool make_dirs(const char *path, mode_t mode, struct roam_error *e)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return roam_error_set(e, "'%.300s': bad directory name", path);
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			if (chmod(buf, mode) < 0)
				return sys_fail(e, buf, "cannot set the mode of ");
		} else if (errno != EEXIST) {
			return sys_fail(e, buf, "cannot create ");
		}
		*p = c;
		if (c == '\0')
			return true;
	}
}

int roam_dir_open_trusted(const char *path, mode_t create_mode, struct roam_error *e)
{
	if (!make_dirs(path, create_mode, e))
		return -1;
	return roam_open_trusted(path, O_RDONLY | O_DIRECTORY, e);
}

/* the file behind fd, in the directory dirfd, against the rule of
 * roam_openat_trusted */
static bool file_trusted(int dirfd, int fd, const char *name, struct roam_error *e)
{
	struct stat dir, st;
	mode_t mode;

	if (fstat(dirfd, &dir) < 0 || fstat(fd, &st) < 0)
		return sys_fail(e, name, "cannot check ");
	mode = st.st_mode & 07777;
	if (!S_ISREG(st.st_mode))
		return untrusted(e, "%s: not a regular file; refusing it", name);
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != dir.st_uid)
		return untrusted(e, "%s: owned by uid %u, not by its directory's owner; refusing it",
				 name, (unsigned)st.st_uid);
	if (mode & 022)
		return untrusted(e, "%s: writable by %s (mode %04o); refusing it", name,
				 mode & 002 ? "others" : "group", (unsigned)mode);
	return true;
}

int roam_openat_trusted(int dirfd, const char *name, int oflags, struct roam_error *e)
{
	int fd, saved;

	if ((oflags & O_CREAT) || strchr(name, '/')) {
		errno = EINVAL;
		return roam_error_set(e, "%s: not a plain name to open", name), -1;
	}
	/* O_NONBLOCK: a FIFO planted here must not hang the open; it is
	 * refused as not a regular file */
	fd = openat(dirfd, name, oflags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return sys_fail(e, name, "cannot open "), -1;
	if (file_trusted(dirfd, fd, name, e) &&
	    (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0 ||
	     sys_fail(e, name, "cannot use ")))
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
