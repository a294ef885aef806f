/* SPDX-License-Identifier: MIT */
/*
 * tunnel.h — roam-tunnel's commands: plan → diff → apply → verify.
 *
 * Each command reads the system fresh (tunnel_env), builds the plan from the
 * config, reads what the kernel has and diffs. `up` applies only the
 * difference, in plan order, keeping a journal; if a write fails, the journal
 * is undone back to front so the system is as it was, and the error names the
 * object. After applying, it reads the kernel again and checks that every
 * object is in place. With dry_run nothing is written: the commands that would
 * run are printed as `ip` commands.
 */
#ifndef ROAM_TUNNEL_TUNNEL_H
#define ROAM_TUNNEL_TUNNEL_H

#include <stdio.h>

#include "diff.h"
#include "nl.h"
#include "plan.h"
#include "state.h"

enum tunnel_result {
	TUNNEL_OK,		/* done (status: all present) */
	TUNNEL_PARTIAL,		/* status: some objects missing or different */
	TUNNEL_DOWN,		/* status: the link is missing; roam: nothing to roam */
	TUNNEL_FAILED,		/* netlink or system error, rolled back; e says why */
	TUNNEL_REFUSED,		/* register: the client address is not allowed */
	TUNNEL_BADUSE,		/* the command does not fit the role */
};

struct tunnel_run {
	const struct tunnel_cfg *cfg;
	struct tun_nl *nl;
	bool dry_run;
	/* lab tests on kernels without ipip: the link NAME exists already (a
	 * veth), everything else is managed as usual; roam and register refuse */
	bool existing_link;
	FILE *out;		/* dry-run commands and status lines */
	/* the per-tunnel lock (-1: none). roam releases it once the kernel is
	 * changed, before its ssh round trip: the gateway's register may take the
	 * same lock (both roles on one host, as in a lab), and no lock should be
	 * held across the network anyway */
	int lock;
	unsigned changes;	/* kernel writes done by this command */
};

enum tunnel_result tunnel_up(struct tunnel_run *r, struct roam_error *e);
enum tunnel_result tunnel_down(struct tunnel_run *r, struct roam_error *e);
enum tunnel_result tunnel_status(struct tunnel_run *r, struct roam_error *e);
/* mobile: re-pin, move the local endpoint in place, then register by ssh */
enum tunnel_result tunnel_roam(struct tunnel_run *r, struct roam_error *e);
/* gateway: the forced command; ssh_connection is $SSH_CONNECTION */
enum tunnel_result tunnel_register(struct tunnel_run *r, const char *ssh_connection,
				   struct roam_error *e);

/* cli.c: the whole command line; main() is one call */
enum { TUNNEL_CLI_EXISTING_LINK = 1 << 0 };
int tunnel_cli(int argc, char **argv, unsigned flags);

/* register.c */
bool tunnel_register_client(const char *ssh_connection, struct in_addr *client,
			    struct roam_error *e);
bool tunnel_register_allowed(const struct tunnel_cfg *cfg, struct in_addr client,
			     struct roam_error *e);
/* runs `ssh -T DEST` ($ROAM_TUNNEL_SSH instead of ssh when set); the remote
 * command's exit status, or -1 with e set when ssh could not run */
int tunnel_register_call(const char *dest, unsigned timeout_s, struct roam_error *e);

#endif
