/* SPDX-License-Identifier: MIT */
/* dialer.c — the one place that picks the kind of transport (stream.h). */
#include "exits.h"
#include "settings.h"
#include "ssh.h"
#include "stream.h"

struct dialer *dialer_open(const struct settings *s, int *code, bool *transient,
			   struct roam_error *e)
{
	struct ssh_conn *c;
	struct dialer *d;
	if (!(c = ssh_open(&s->ssh, code, transient, e)))
		return NULL;
	if (!(d = dialer_ssh2(c, s->pop3_host, s->pop3_port, e))) {
		*code = FETCH_EXIT_SOCKET;
		*transient = true;
	}
	return d;
}
