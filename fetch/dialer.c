/* SPDX-License-Identifier: MIT */
/* dialer.c — the one place that picks the kind of transport (stream.h). */
#include "command.h"
#include "exits.h"
#include "settings.h"
#include "ssh.h"
#include "stream.h"

struct dialer *dialer_open(const struct settings *s, int *code, bool *transient,
			   struct roam_error *e)
{
	struct ssh_conn *c;
	struct dialer *d;
	char **argv;

	if (s->ssh_command) {
		*code = FETCH_EXIT_SOCKET;
		*transient = true;
		if (!(argv = command_expand(s->ssh_command, s->server_host, s->server_port)))
			return roam_error_set(e, "out of memory"), NULL;
		return dialer_cmd(argv, e);
	}
	if (!(c = ssh_open(&s->ssh, code, transient, e)))
		return NULL;
	if (!(d = dialer_ssh2(c, s->server_host, s->server_port, e))) {
		*code = FETCH_EXIT_SOCKET;
		*transient = true;
	}
	return d;
}
