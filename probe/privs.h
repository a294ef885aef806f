/* SPDX-License-Identifier: MIT */
/* privs.h — giving up every capability once the raw socket exists. */
#ifndef ROAM_PROBE_PRIVS_H
#define ROAM_PROBE_PRIVS_H

#include "error.h"

/* Clears the effective, permitted, inheritable and ambient sets, and forbids
 * regaining any through exec; false (with e) when the kernel refuses. */
bool probe_drop_privileges(struct roam_error *e);

#endif
