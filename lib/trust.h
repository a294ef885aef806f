/* SPDX-License-Identifier: MIT */
/*
 * trust.h — opening a file or directory only through a chain nobody else
 * controls, checked the way OpenSSH's StrictModes and procmail's rcfile check
 * do it.
 *
 * A config names commands and decides where mail goes; a state directory
 * decides which messages get deleted. Both are worth nothing if another local
 * user can write them, or can write a directory on the way to them and swap
 * them. So the path is resolved, then walked from "/" one component at a time
 * with O_PATH|O_NOFOLLOW, and every component is checked on the descriptor
 * that is then used to go on (no window between check and use):
 *
 *  - it is owned by root or by our effective uid (or, with
 *    ROAM_TRUST_DELEGATED, by the owner of a directory root created in a
 *    directory nobody else can write, e.g. /var/lib/roam owned by `roam`);
 *  - it is not writable by group or others, except a sticky directory on
 *    the way (/tmp), whose entries the next step checks in turn;
 *  - the object at the end is never group/other-writable, sticky or not.
 */
#ifndef ROAM_TRUST_H
#define ROAM_TRUST_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

enum roam_trust_flags {
	/* also accept an owner root put in charge: a directory owned by another
	 * uid whose parent is trusted and writable by nobody else. For readers
	 * of another account's state (roam-redirect reading the probe's). */
	ROAM_TRUST_DELEGATED = 1 << 0,
};

/* An fd for path, opened with oflags (O_NOFOLLOW and O_CLOEXEC are added),
 * or -1 with a one-line error naming the path and why, and errno ENOENT when
 * the path does not exist (for an optional file), EPERM when it is not
 * trusted, or the errno of the call that failed. Only a regular file or a
 * directory is opened. O_CREAT is refused: create through
 * roam_dir_open_trusted() and openat(). */
int roam_open_trusted(const char *path, int oflags, struct roam_error *e);
int roam_open_trusted_flags(const char *path, int oflags, unsigned tflags,
			    struct roam_error *e);

/* mkdir -p of what is missing of path (each new directory create_mode,
 * whatever the umask), then the checked open of the directory (O_DIRECTORY,
 * O_RDONLY). A directory that already exists is checked like one just made:
 * a stranger's pre-created state_dir is refused with its path named. */
int roam_dir_open_trusted(const char *path, mode_t create_mode, struct roam_error *e);

/* A regular file name inside dirfd, a directory already opened through the
 * checks above (name has no '/'): opened with oflags (O_NOFOLLOW, O_CLOEXEC
 * added), then checked on the open descriptor itself, so nothing can swap it
 * in between: owned by root, by us or by the directory's owner (who writes
 * it anyway), not group/other-writable. -1 and errno as roam_open_trusted. */
int roam_openat_trusted(int dirfd, const char *name, int oflags, struct roam_error *e);

#endif
