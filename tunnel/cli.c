/* SPDX-License-Identifier: MIT */
/* cli.c — roam-tunnel's command line: options, config, one command, exit status.
 * main.c calls it; the lab's test tool calls it with TUNNEL_CLI_EXISTING_LINK. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "environ.h"
#include "exits.h"
#include "log.h"
#include "tunnel.h"

static const struct command {
	const char *name;
	enum tunnel_result (*run)(struct tunnel_run *r, struct roam_error *e);
	const char *help;
} commands[] = {
	{ "up", tunnel_up, "create what is missing, fix what differs (idempotent)" },
	{ "down", tunnel_down, "remove exactly what up created" },
	{ "status", tunnel_status, "list each object as present, missing or different" },
	{ "roam", tunnel_roam, "mobile: follow a new address or router, then register" },
	{ "register", NULL, "gateway: ssh forced command, the client becomes the remote" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: roam-tunnel [-c FILE] [-n] [--rundir DIR] [-v] [-q] COMMAND\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nOptions:\n"
		"  -c, --config FILE  read FILE instead of " ROAM_SYSCONFDIR "/roam.conf\n"
		"  -n, --dry-run      print the ip commands that would run; change nothing\n"
		"      --rundir DIR   state and lock in DIR instead of /run/roam\n"
		"  -v, --verbose      log each change to stderr (twice: debug)\n"
		"  -q, --quiet        errors only\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n");
}

static int exit_code(enum tunnel_result r)
{
	switch (r) {
	case TUNNEL_OK: return TUNNEL_EXIT_OK;
	case TUNNEL_PARTIAL: return TUNNEL_EXIT_PARTIAL;
	case TUNNEL_DOWN: return TUNNEL_EXIT_DOWN;
	case TUNNEL_REFUSED: return TUNNEL_EXIT_REFUSED;
	case TUNNEL_BADUSE: return TUNNEL_EXIT_USAGE;
	case TUNNEL_FAILED: break;
	}
	return TUNNEL_EXIT_SYSTEM;
}

struct options {
	const char *config;
	const char *rundir;
	bool dry_run;
	int verbosity;
	const struct command *cmd;
};

/* returns -1 to go on, else the exit status */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ "rundir", required_argument, NULL, 'R' }, { NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:nvqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'n': o->dry_run = true; break;
		case 'R':
			if (optarg[0] != '/') {
				fprintf(stderr, "roam-tunnel: --rundir '%s': not an absolute path\n", optarg);
				return TUNNEL_EXIT_USAGE;
			}
			o->rundir = optarg;
			break;
		case 'v': o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1; break;
		case 'q': o->verbosity = ROAM_QUIET; break;
		case 'h': usage(stdout); return TUNNEL_EXIT_OK;
		case 'V': printf("roam-tunnel %s\n", ROAM_VERSION); return TUNNEL_EXIT_OK;
		default: usage(stderr); return TUNNEL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "roam-tunnel: %s\n", optind < argc ? "one command only" : "no command");
		usage(stderr);
		return TUNNEL_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			o->cmd = &commands[i];
	if (!o->cmd) {
		fprintf(stderr, "roam-tunnel: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return TUNNEL_EXIT_USAGE;
	}
	return -1;
}

int tunnel_cli(int argc, char **argv, unsigned flags)
{
	static const struct roam_section *const secs[] = { &roam_tunnel_keys };
	struct options o = { 0 };
	struct roam_conf *conf = NULL;
	struct tunnel_cfg cfg;
	struct tunnel_run run = { .cfg = &cfg, .out = stdout, .lock = -1 };
	struct roam_error e = { "" };
	enum tunnel_result res;
	int ret = parse_args(argc, argv, &o);

	if (ret >= 0)
		return ret;
	roam_log_init("roam-tunnel", o.verbosity, ROAM_LOG_ERRORS_TO_STDERR);
	tunnel_environ_init(o.rundir, !o.cmd->run);	/* register: the forced command */
	ret = TUNNEL_EXIT_USAGE;
	if (!(conf = roam_conf_load(o.config, 0, secs, 1, &e)) ||
	    !tunnel_cfg_from_conf(conf, &cfg, &e)) {
		roam_err("%s", e.msg);
		goto out;
	}
	ret = TUNNEL_EXIT_SYSTEM;
	/* one run at a time per tunnel; a dry run changes nothing and need not wait */
	if (!o.dry_run && (run.lock = tunnel_state_lock(cfg.name, &e)) < 0) {
		roam_err("%s", e.msg);
		goto out;
	}
	run.dry_run = o.dry_run;
	run.existing_link = flags & TUNNEL_CLI_EXISTING_LINK;
	if (!(run.nl = tun_nl_open(&e))) {
		roam_err("%s", e.msg);
		goto out;
	}
	if (o.cmd->run)
		res = o.cmd->run(&run, &e);
	else
		res = tunnel_register(&run, getenv("SSH_CONNECTION"), &e);
	ret = exit_code(res);
	if (res != TUNNEL_OK && res != TUNNEL_PARTIAL && res != TUNNEL_DOWN)
		roam_err("%s", e.msg);
	else if (res == TUNNEL_DOWN && e.msg[0])
		/* a tunnel taken down on purpose is news, not an error: -q (a
		 * hook, a cron line) keeps it quiet, the exit status (2) tells */
		roam_notice("%s", e.msg);
	if (!o.dry_run)
		roam_debug("%u netlink change%s", run.changes, run.changes == 1 ? "" : "s");
out:
	if (run.lock >= 0)
		close(run.lock);
	tun_nl_close(run.nl);
	roam_conf_free(conf);
	return ret;
}
