/* SPDX-License-Identifier: MIT */
/* settings.h — what one run of roam-probe does: roam.conf's [probe] keys (and
 * [redirect] max_age), overridden by the command line, checked once. */
#ifndef ROAM_PROBE_SETTINGS_H
#define ROAM_PROBE_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "error.h"
#include "probe.h"

struct probe_settings {
	struct roam_probe_opts opts;
	char *state_dir;		/* NULL with --no-state */
	unsigned interval_s;
	unsigned hysteresis;
	unsigned max_age_s;		/* [redirect] max_age: refresh before half of it */
	char **targets;			/* as given, owned */
	size_t ntargets;
	const char *config_path;	/* the file read, or NULL (owned by conf) */
	struct roam_conf *conf;
};

/* Loads the configuration named by cli (or the default one) and applies the
 * command line over it. On error e holds one line naming the file and line or
 * the option. */
bool probe_settings_load(const struct probe_cli *cli, struct probe_settings *s,
			 struct roam_error *e);
void probe_settings_free(struct probe_settings *s);

#endif
