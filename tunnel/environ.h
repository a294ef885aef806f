/* SPDX-License-Identifier: MIT */
/*
 * environ.h — the two environment variables roam-tunnel honours, and when.
 *
 * ROAM_RUNDIR chooses where root writes its state and lock; ROAM_TUNNEL_SSH
 * chooses the program root runs to register. Both are for root's own use (a
 * lab, several namespaces on one host). A key holder must never set them:
 * with PermitUserEnvironment or AcceptEnv, sshd hands a client's variables
 * to the forced command. So `register` (the forced command) ignores both and
 * takes --rundir from its command line, which the admin wrote into
 * authorized_keys; every other command honours them only when root set them
 * (real and effective uid 0, not a secure-exec).
 */
#ifndef ROAM_TUNNEL_ENVIRON_H
#define ROAM_TUNNEL_ENVIRON_H

#include <stdbool.h>

/* decides once, before anything reads them: option is --rundir (or NULL) */
void tunnel_environ_init(const char *rundir_option, bool forced_command);

const char *tunnel_rundir(void);	/* default /run/roam */
const char *tunnel_ssh_program(void);	/* default ssh */

#endif
