/* SPDX-License-Identifier: MIT */
/* cli.h — roam-probe's command line: one option table, from which getopt's
 * table and --help are both made. Values stay text here; settings.c checks
 * them against the [probe] key table, so -k and `count =` fail alike. */
#ifndef ROAM_PROBE_CLI_H
#define ROAM_PROBE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* options that override a [probe] key, in the order of the option table */
enum probe_key_opt {
	PROBE_OPT_COUNT, PROBE_OPT_TIMEOUT, PROBE_OPT_METHOD, PROBE_OPT_TCP_PORT,
	PROBE_OPT_STATE_DIR, PROBE_OPT_INTERVAL, PROBE_OPT_HYSTERESIS, PROBE_NKEY_OPTS
};

struct probe_cli {
	const char *config;			/* -c FILE, else NULL */
	const char *key[PROBE_NKEY_OPTS];	/* overrides, NULL when not given */
	bool json, watch, no_state;
	int verbosity;				/* -q: -1, each -v: +1 */
	char **targets;				/* the operands, inside argv */
	size_t ntargets;
};

enum probe_cli_result { PROBE_CLI_RUN, PROBE_CLI_HELP, PROBE_CLI_VERSION, PROBE_CLI_ERROR };

/* The config key an override stands for ("count", …). */
const char *probe_cli_key_name(enum probe_key_opt k);

/* Parses argv (getopt_long, reentrant through optind = 0). On
 * PROBE_CLI_ERROR e says which argument was wrong. */
enum probe_cli_result probe_cli_parse(int argc, char **argv, struct probe_cli *cli,
				      struct roam_error *e);

void probe_cli_usage(FILE *f);

#endif
