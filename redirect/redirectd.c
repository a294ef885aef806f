/* SPDX-License-Identifier: MIT */
/*
 * roam-redirectd — the recipients table as a Postfix socketmap service:
 * transport_maps = socketmap:unix:/run/roam/redirect.sock:transport sends a
 * recipient's mail to smtp:[TARGET] while the laptop is alive, and lets
 * Postfix deliver it to the mailbox otherwise. See roam-redirectd(8). The
 * pieces: recipients (table), socketmap (one request), netstring,
 * statecache (state files), redirectd_loop (connections, signals),
 * redirectd_listen (sockets), redirectd_activate (sockets from systemd).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "exits.h"
#include "log.h"
#include "recipients.h"
#include "redirectd_activate.h"
#include "redirectd_listen.h"
#include "redirectd_loop.h"
#include "socketmap.h"
#include "statecache.h"

extern const struct roam_section roam_redirect_keys;

struct daemon {
	const char *conf_file;		/* -c; NULL: /etc/roam.conf */
	struct roam_conf *conf;
	struct redirect_table table;
	struct state_cache *states;	/* one slot per row of table */
	struct socketmap_ctx ctx;
};

/* the configuration, its table and a state cache for it, all whole, or
 * false with e */
static bool load(const char *file, struct roam_conf **conf, struct redirect_table *t,
		 struct state_cache **states, struct roam_error *e)
{
	static const struct roam_section *const secs[] = { &roam_redirect_keys };
	const char *recipients;

	*conf = roam_conf_load(file, 0, secs, 1, e);
	if (!*conf)
		return false;
	recipients = roam_conf_str(*conf, "redirect", "recipients");
	if (!recipients) {
		roam_error_set(e, "%s: [redirect] recipients is not set: roam-redirectd answers "
			       "from a recipients table only", roam_conf_path(*conf) ?
			       roam_conf_path(*conf) : "no configuration file");
	} else if (redirect_table_load(t, recipients, e)) {
		*states = state_cache_new(roam_conf_str(*conf, "redirect", "state_dir"), t->n);
		if (*states)
			return true;
		roam_error_set(e, "out of memory for %zu recipients' states", t->n);
		redirect_table_free(t);
	}
	roam_conf_free(*conf);
	*conf = NULL;
	return false;
}

static void point_ctx(struct daemon *d)
{
	d->ctx.table = &d->table;
	d->ctx.states = d->states;
	d->ctx.max_age = roam_conf_int(d->conf, "redirect", "max_age");
}

/* SIGHUP: the new configuration and table replace the old only when both
 * parse whole; the sockets stay as they are */
static void reload(void *arg)
{
	struct daemon *d = arg;
	struct roam_conf *conf;
	struct redirect_table t;
	struct state_cache *states;
	struct roam_error e;

	if (!load(d->conf_file, &conf, &t, &states, &e)) {
		roam_err("reload refused, the old table stays: %s", e.msg);
		return;
	}
	redirect_table_free(&d->table);
	state_cache_free(d->states);
	roam_conf_free(d->conf);
	d->conf = conf;
	d->table = t;
	d->states = states;
	point_ctx(d);
	roam_notice("reloaded: %zu recipients", d->table.n);
}

static void usage(void)
{
	printf("usage: roam-redirectd [-c FILE] [-v] [--help] [--version]\n"
	       "Answers Postfix's socketmap lookups from the recipients table and roam-probe's\n"
	       "state files, in the foreground until SIGTERM; SIGHUP reloads. In main.cf:\n"
	       "  transport_maps = socketmap:unix:/run/roam/redirect.sock:transport\n"
	       "transport: alive gives smtp:[TARGET], otherwise NOTFOUND (the mailbox);\n"
	       "alias: alive gives ALIVE_DESTINATION. See roam-redirectd(8), roam.conf(5).\n");
}

/* argv into d; -1 to go on, else the exit status */
static int parse_args(struct daemon *d, int argc, char **argv, int *verbosity)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d->conf_file = optarg; break;
		case 'v': (*verbosity)++; break;
		case 'h': usage(); return REDIRECTD_EXIT_OK;
		case 'V': printf("roam-redirectd %s\n", ROAM_VERSION); return REDIRECTD_EXIT_OK;
		default:
			fprintf(stderr, "roam-redirectd: bad option (see --help)\n");
			return REDIRECTD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "roam-redirectd: unexpected argument '%s' (see --help)\n", argv[optind]);
		return REDIRECTD_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	struct rd_listeners ls;
	struct rd_loop *loop;
	struct roam_error e;
	int verbosity = 0, code = parse_args(&d, argc, argv, &verbosity);

	if (code >= 0)
		return code;
	roam_log_init("roam-redirectd", verbosity, ROAM_LOG_ERRORS_TO_STDERR);
	if (!load(d.conf_file, &d.conf, &d.table, &d.states, &e)) {
		roam_err("%s", e.msg);
		return REDIRECTD_EXIT_USAGE;
	}
	point_ctx(&d);
	switch (rd_activated(&ls, &e)) {
	case 1:
		roam_info("socket activation: [redirect] socket and listen are not used");
		break;
	case -1:
		roam_err("%s", e.msg);
		code = REDIRECTD_EXIT_USAGE;
		goto out;
	default:
		if (!rd_listen(&ls, d.conf, &e)) {
			roam_err("%s", e.msg);
			code = rd_listen_usage_error(&ls) ? REDIRECTD_EXIT_USAGE : REDIRECTD_EXIT_SYSTEM;
			goto out;
		}
	}
	loop = rd_loop_new(ls.fd, ls.n, (size_t)roam_conf_int(d.conf, "redirect", "max_connections"),
			   &d.ctx, reload, &d, &e);
	code = REDIRECTD_EXIT_SYSTEM;
	if (loop) {
		roam_notice("answering for %zu recipients on %s%s%s", d.table.n, ls.where[0],
			    ls.n > 1 ? " and " : "", ls.n > 1 ? ls.where[1] : "");
		if (rd_loop_run(loop, &e))
			code = REDIRECTD_EXIT_OK;
		rd_loop_free(loop);
	}
	if (code != REDIRECTD_EXIT_OK)
		roam_err("%s", e.msg);
	rd_listen_close(&ls);
out:
	redirect_table_free(&d.table);
	state_cache_free(d.states);
	roam_conf_free(d.conf);
	return code;
}
