/* SPDX-License-Identifier: MIT */
/* statedir.h — the directory of state files: created 0755 when missing,
 * refused when it is a symbolic link (a planted link would redirect our
 * writes), opened once and written through its descriptor. */
#ifndef ROAM_PROBE_STATEDIR_H
#define ROAM_PROBE_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "targets.h"

/* Returns a directory descriptor, or -1 with e filled. */
int probe_statedir_open(const char *path, struct roam_error *e);

/* Takes the stored decision of each target from its state file, when one is
 * there and valid; returns how many were malformed (note is called for each). */
size_t probe_statedir_load(int dirfd, struct probe_target *t, size_t n,
			   void (*note)(const char *msg));

#endif
