/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <unistd.h>

#include "environ.h"
#include "log.h"

static const char *rundir = "/run/roam";
static const char *ssh = "ssh";

/* the variable when root set it for itself, else NULL (and say why) */
static const char *root_env(const char *name, bool forced_command)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return NULL;
	if (forced_command || getuid() != 0 || geteuid() != 0 || !secure_getenv(name)) {
		roam_info("ignoring $%s: %s", name, forced_command ?
			  "register is an ssh forced command (use --rundir)" : "not set by root");
		return NULL;
	}
	return v;
}

void tunnel_environ_init(const char *rundir_option, bool forced_command)
{
	const char *d = root_env("ROAM_RUNDIR", forced_command);
	const char *s = root_env("ROAM_TUNNEL_SSH", forced_command);

	if (rundir_option)
		rundir = rundir_option;
	else if (d && *d == '/')
		rundir = d;
	if (s)
		ssh = s;
}

const char *tunnel_rundir(void)
{
	return rundir;
}

const char *tunnel_ssh_program(void)
{
	return ssh;
}
