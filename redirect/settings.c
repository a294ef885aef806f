/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "settings.h"

extern const struct roam_section roam_redirect_keys;

static const char *const opt_key[OPT_N] = {
	[OPT_TARGET] = "target", [OPT_ALIVE] = "alive", [OPT_AWAY] = "away",
	[OPT_STATE_DIR] = "state_dir", [OPT_MAX_AGE] = "max_age", [OPT_DEADLINE] = "deadline",
};

static const char *const opt_name[OPT_N] = {
	[OPT_TARGET] = "target", [OPT_ALIVE] = "alive", [OPT_AWAY] = "away",
	[OPT_STATE_DIR] = "state-dir", [OPT_MAX_AGE] = "max-age", [OPT_DEADLINE] = "deadline",
};

enum { LONG_VERSION = 256, LONG_EXIT_STATUS, LONG_FOR, LONG_KEY = 300 };	/* LONG_KEY + OPT_x: an option that is a key */

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "target", required_argument, NULL, LONG_KEY + OPT_TARGET },
	{ "alive", required_argument, NULL, LONG_KEY + OPT_ALIVE },
	{ "away", required_argument, NULL, LONG_KEY + OPT_AWAY },
	{ "state-dir", required_argument, NULL, LONG_KEY + OPT_STATE_DIR },
	{ "max-age", required_argument, NULL, LONG_KEY + OPT_MAX_AGE },
	{ "deadline", required_argument, NULL, LONG_KEY + OPT_DEADLINE },
	{ "exit-status", no_argument, NULL, LONG_EXIT_STATUS },
	{ "for", required_argument, NULL, LONG_FOR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, LONG_VERSION },
	{ NULL, 0, NULL, 0 },
};

void redirect_usage(void)
{
	printf("usage: roam-redirect [-c FILE] [--target ADDR] [--alive RCPT] [--away RCPT]\n"
	       "                     [--state-dir DIR] [--max-age SECONDS] [--deadline MS] [-v]\n"
	       "                     [--for RECIPIENT] [--exit-status] [--help] [--version]\n"
	       "Reads a message on stdin and prints the one recipient to forward it to:\n"
	       "the alive one when the target is up, the away one otherwise. For procmail:\n"
	       "  :0 w\n"
	       "  ! `roam-redirect`\n"
	       "Always exits 0. With --exit-status (Sieve's execute): prints the alive\n"
	       "destination and exits 0 when alive, prints nothing and exits 1 otherwise.\n"
	       "--for picks the recipient's row of the recipients table.\n"
	       "See roam-redirect(1) and roam.conf(5).\n");
}

static const struct roam_key *table_key(const char *name)
{
	for (size_t k = 0; k < roam_redirect_keys.nkeys; k++)
		if (!strcmp(roam_redirect_keys.keys[k].name, name))
			return &roam_redirect_keys.keys[k];
	return NULL;
}

static bool check_option(int opt, const char *value, struct roam_error *e)
{
	struct roam_error ke;

	if (roam_key_check(table_key(opt_key[opt]), value, &ke))
		return true;
	return roam_error_set(e, "--%s: %s", opt_name[opt], ke.msg);
}

enum settings_cli redirect_settings_parse(struct redirect_settings *s, int argc,
					  char **argv, struct roam_error *e)
{
	enum settings_cli ret = SETTINGS_RUN;
	int c;

	memset(s, 0, sizeof(*s));
	s->read_timeout = REDIRECT_READ_TIMEOUT_MS;
	opterr = 0;	/* getopt must not write to procmail's log: we report */
	while ((c = getopt_long(argc, argv, "+c:vh", long_options, NULL)) != -1) {
		if (c >= LONG_KEY && c < LONG_KEY + OPT_N) {
			if (check_option(c - LONG_KEY, optarg, ret == SETTINGS_BAD ? NULL : e))
				s->cli[c - LONG_KEY] = optarg;
			else
				ret = SETTINGS_BAD;
			continue;
		}
		switch (c) {
		case 'c': s->conf_file = optarg; break;
		case 'v': s->verbosity++; break;
		case LONG_EXIT_STATUS: s->exit_status = true; break;
		case LONG_FOR: s->recipient = optarg; break;
		case 'h': return SETTINGS_HELP;
		case LONG_VERSION: return SETTINGS_VERSION;
		default:
			if (ret != SETTINGS_BAD)
				roam_error_set(e, "bad option '%s' (see --help)", argv[optind - 1]);
			ret = SETTINGS_BAD;
		}
	}
	if (optind < argc && ret != SETTINGS_BAD) {
		roam_error_set(e, "unexpected argument '%s' (see --help)", argv[optind]);
		ret = SETTINGS_BAD;
	}
	return ret;
}

static const char *pick(const struct redirect_settings *s, int opt)
{
	return s->cli[opt] ? s->cli[opt] : roam_conf_str(s->conf, "redirect", opt_key[opt]);
}

static long pick_int(const struct redirect_settings *s, int opt)
{
	long v = 0;

	if (!s->cli[opt])
		return roam_conf_int(s->conf, "redirect", opt_key[opt]);
	roam_parse_long(s->cli[opt], table_key(opt_key[opt])->min, table_key(opt_key[opt])->max, &v);
	return v;
}

bool redirect_settings_load(struct redirect_settings *s, struct roam_error *e)
{
	/* static: the loaded configuration keeps pointing at it */
	static const struct roam_section *const secs[] = { &roam_redirect_keys };

	s->away = s->cli[OPT_AWAY];
	s->conf = roam_conf_load(s->conf_file, 0, secs, 1, e);
	if (!s->conf)
		return false;
	s->target = pick(s, OPT_TARGET);
	s->alive = pick(s, OPT_ALIVE);
	s->away = pick(s, OPT_AWAY);
	s->state_dir = pick(s, OPT_STATE_DIR);
	s->max_age = pick_int(s, OPT_MAX_AGE);
	s->deadline = pick_int(s, OPT_DEADLINE);
	s->loop_header = roam_conf_str(s->conf, "redirect", "loop_header");
	s->method = roam_conf_str(s->conf, "redirect", "method");
	s->max_size = roam_conf_int(s->conf, "redirect", "max_size");
	s->read_timeout = roam_conf_int(s->conf, "redirect", "read_timeout");
	s->recipients = roam_conf_str(s->conf, "redirect", "recipients");
	s->nskip = roam_conf_list(s->conf, "redirect", "skip_from", &s->skip_from);
	return true;
}

void redirect_settings_free(struct redirect_settings *s)
{
	roam_conf_free(s->conf);
	s->conf = NULL;
}
