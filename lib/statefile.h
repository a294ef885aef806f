/* SPDX-License-Identifier: MIT */
/*
 * statefile.h — small files that readers must never see torn or empty.
 *
 * A write goes to a temporary file in the same directory, is fsync'ed, renamed
 * over the target and the directory is fsync'ed: a reader sees the old content
 * or the new one, and after a crash the file is one of the two. Reads are
 * bounded: a state file is small, and a huge or endless one is an error, not a
 * reason to allocate.
 */
#ifndef ROAM_STATEFILE_H
#define ROAM_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Writes len bytes of data as dirfd/name with the given mode (umask is not
 * applied: a state file's mode is part of its contract). On failure no
 * temporary file is left behind and the old file, if any, is untouched. */
bool roam_atomic_write_at(int dirfd, const char *name, const void *data, size_t len,
			  mode_t mode, struct roam_error *e);
/* The same with a path; the directory is the path's dirname. */
bool roam_atomic_write(const char *path, const void *data, size_t len, mode_t mode,
		       struct roam_error *e);

/* Reads at most cap - 1 bytes of a file into buf and NUL-terminates it.
 * Returns the length, or -1 with errno set: EFBIG when the file holds cap bytes
 * or more, EINVAL when it contains a NUL byte, others from open/read. */
ssize_t roam_read_small_at(int dirfd, const char *name, char *buf, size_t cap);
/* The same from an open descriptor (not closed). */
ssize_t roam_read_small_fd(int fd, char *buf, size_t cap);
ssize_t roam_read_small(const char *path, char *buf, size_t cap);

#endif
