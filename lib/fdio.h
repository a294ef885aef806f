/* SPDX-License-Identifier: MIT */
/*
 * fdio.h — writing a whole buffer to a file descriptor.
 */
#ifndef ROAM_FDIO_H
#define ROAM_FDIO_H

#include <stdbool.h>
#include <stddef.h>

/* Writes all len bytes, retrying short writes and EINTR. False with errno set
 * on an error (a zero-length write counts as EIO). Calls nothing but write(2),
 * so it is async-signal-safe: roam-redirect's signal handlers use it. */
bool roam_write_all(int fd, const void *buf, size_t len);

#endif
