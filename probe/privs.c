/* SPDX-License-Identifier: MIT */
/*
 * privs.c — roam-probe needs CAP_NET_RAW (file capability, the systemd unit's
 * AmbientCapabilities, or root) for one thing: liboping's raw socket. Once it
 * is open nothing else needs a privilege, and a long-running --watch parses
 * configs, resolves names and writes state files, so everything goes at
 * once, as iputils ping does. Root keeps uid 0 (its state files are root's)
 * but no capability: it writes only where an owner may.
 *
 * capset(2) directly: one syscall is not worth a library (libcap).
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

bool probe_drop_privileges(struct roam_error *e)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3];

	memset(none, 0, sizeof(none));
	/* an empty permitted set empties the ambient one too */
	if (syscall(SYS_capset, &h, none) < 0)
		return roam_error_set(e, "cannot drop capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return roam_error_set(e, "cannot set no_new_privs: %s", strerror(errno));
	return true;
}
