/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <string.h>

#include "cli.h"

enum { OPT_KEY = 0, OPT_CONFIG, OPT_JSON, OPT_NO_STATE, OPT_QUIET, OPT_VERBOSE, OPT_WATCH,
       OPT_HELP, OPT_VERSION };

struct option_row {
	const char *name;	/* long name */
	char short_name;	/* 0: long only */
	const char *arg;	/* NULL: takes no argument */
	int what;		/* OPT_* */
	int key;		/* for OPT_KEY: enum probe_key_opt */
	const char *key_name;	/* for OPT_KEY: the [probe] key */
	const char *help;
};

static const struct option_row rows[] = {
	{ "config", 'c', "FILE", OPT_CONFIG, 0, NULL, "read FILE instead of " ROAM_SYSCONFDIR "/roam.conf" },
	{ "count", 'k', "COUNT", OPT_KEY, PROBE_OPT_COUNT, "count", "probes per target and pass (3)" },
	{ "timeout", 't', "MS", OPT_KEY, PROBE_OPT_TIMEOUT, "timeout", "milliseconds for the whole pass (1000)" },
	{ "method", 'm', "METHOD", OPT_KEY, PROBE_OPT_METHOD, "method", "auto, icmp, dgram, tcp or tcp:PORT (auto)" },
	{ "tcp-port", 'p', "PORT", OPT_KEY, PROBE_OPT_TCP_PORT, "tcp_port", "port for the tcp method (25)" },
	{ "state-dir", 0, "DIR", OPT_KEY, PROBE_OPT_STATE_DIR, "state_dir", "state files go here (/var/lib/roam)" },
	{ "no-state", 'n', NULL, OPT_NO_STATE, 0, NULL, "do not read or write state files" },
	{ "json", 'j', NULL, OPT_JSON, 0, NULL, "one JSON object per target and line" },
	{ "quiet", 'q', NULL, OPT_QUIET, 0, NULL, "print nothing but errors; the exit status tells" },
	{ "verbose", 'v', NULL, OPT_VERBOSE, 0, NULL, "say what happens, on stderr (twice: more)" },
	{ "watch", 'w', NULL, OPT_WATCH, 0, NULL, "probe again every interval until SIGTERM" },
	{ "interval", 'i', "SECONDS", OPT_KEY, PROBE_OPT_INTERVAL, "interval", "seconds between passes with --watch (30)" },
	{ "hysteresis", 0, "N", OPT_KEY, PROBE_OPT_HYSTERESIS, "hysteresis", "agreeing passes before a state changes (1)" },
	{ "help", 'h', NULL, OPT_HELP, 0, NULL, "show this help" },
	{ "version", 'V', NULL, OPT_VERSION, 0, NULL, "show the version" },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

const char *probe_cli_key_name(enum probe_key_opt k)
{
	for (size_t r = 0; r < NROWS; r++)
		if (rows[r].what == OPT_KEY && rows[r].key == (int)k)
			return rows[r].key_name;
	return "?";
}

void probe_cli_usage(FILE *f)
{
	fprintf(f, "Usage: roam-probe [OPTION]... [TARGET]...\n"
		"Decide whether IPv4 targets are alive, all in one pass, and keep the answer\n"
		"in one state file per target for roam-redirect. Targets come from the\n"
		"arguments or from [probe] target and [redirect] recipients in roam.conf.\n\n");
	for (size_t r = 0; r < NROWS; r++) {
		char left[40];

		if (rows[r].short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", rows[r].short_name, rows[r].name,
				 rows[r].arg ? " " : "", rows[r].arg ? rows[r].arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", rows[r].name,
				 rows[r].arg ? " " : "", rows[r].arg ? rows[r].arg : "");
		fprintf(f, "  %-26s %s\n", left, rows[r].help);
	}
	fprintf(f, "\nExit status: 0 all alive, 1 some unreachable, 2 bad address or name,\n"
		"3 bad arguments or configuration, 4 system error. See roam-probe(8).\n");
}

/* getopt's tables, made from rows[]; val is the row's index + 256 */
static void build_tables(struct option *longs, char *shorts)
{
	char *s = shorts;

	*s++ = ':';	/* a missing argument returns ':' rather than '?' */
	for (size_t r = 0; r < NROWS; r++) {
		longs[r] = (struct option){ rows[r].name, rows[r].arg ? required_argument : no_argument,
					    NULL, (int)r + 256 };
		if (rows[r].short_name) {
			*s++ = rows[r].short_name;
			if (rows[r].arg)
				*s++ = ':';
		}
	}
	longs[NROWS] = (struct option){ 0 };
	*s = '\0';
}

static const struct option_row *row_of(int c)
{
	if (c >= 256 && c < 256 + (int)NROWS)
		return &rows[c - 256];
	for (size_t r = 0; r < NROWS; r++)
		if (rows[r].short_name && rows[r].short_name == c)
			return &rows[r];
	return NULL;
}

static enum probe_cli_result take(const struct option_row *row, struct probe_cli *cli)
{
	switch (row->what) {
	case OPT_KEY:      cli->key[row->key] = optarg; break;
	case OPT_CONFIG:   cli->config = optarg; break;
	case OPT_JSON:     cli->json = true; break;
	case OPT_NO_STATE: cli->no_state = true; break;
	case OPT_QUIET:    cli->verbosity = -1; break;
	case OPT_VERBOSE:  cli->verbosity = cli->verbosity < 0 ? 1 : cli->verbosity + 1; break;
	case OPT_WATCH:    cli->watch = true; break;
	case OPT_HELP:     return PROBE_CLI_HELP;
	case OPT_VERSION:  return PROBE_CLI_VERSION;
	}
	return PROBE_CLI_RUN;
}

enum probe_cli_result probe_cli_parse(int argc, char **argv, struct probe_cli *cli,
				      struct roam_error *e)
{
	struct option longs[NROWS + 1];
	char shorts[2 * NROWS + 2];
	int c;

	memset(cli, 0, sizeof(*cli));
	build_tables(longs, shorts);
	optind = 0;	/* glibc: a full reset, so that tests can parse again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct option_row *row = row_of(c);
		enum probe_cli_result r;

		if (c == ':' || c == '?' || !row) {
			const char *what = c == ':' ? "option '%s' needs an argument"
						    : "unknown option '%s'";
			char shown[3] = { '-', (char)optopt, '\0' };

			/* a short option is named by optopt; a long one only by argv */
			roam_error_set(e, what, optopt && optopt < 256 ? shown : argv[optind - 1]);
			return PROBE_CLI_ERROR;
		}
		r = take(row, cli);
		if (r != PROBE_CLI_RUN)
			return r;
	}
	if (cli->key[PROBE_OPT_INTERVAL] && !cli->watch) {
		roam_error_set(e, "-i/--interval needs --watch");
		return PROBE_CLI_ERROR;
	}
	if (cli->json && cli->verbosity < 0) {
		roam_error_set(e, "--json and -q exclude each other");
		return PROBE_CLI_ERROR;
	}
	cli->targets = argv + optind;
	cli->ntargets = (size_t)(argc - optind);
	return PROBE_CLI_RUN;
}
