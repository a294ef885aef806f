/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "../redirect/recipients.h"
#include "settings.h"

extern const struct roam_section roam_probe_keys;
extern const struct roam_section roam_redirect_keys;

static const struct roam_key *probe_key(const char *name)
{
	for (size_t k = 0; k < roam_probe_keys.nkeys; k++)
		if (strcmp(roam_probe_keys.keys[k].name, name) == 0)
			return &roam_probe_keys.keys[k];
	return NULL;
}

/* the command line's value for a key when given (checked like the file's),
 * else the file's or the default; *from says where, for messages */
static bool value_of(const struct probe_cli *cli, const struct roam_conf *c,
		     enum probe_key_opt k, const char **out, char *from, size_t fromlen,
		     struct roam_error *e)
{
	const char *name = probe_cli_key_name(k);
	struct roam_error ke;

	if (cli->key[k]) {
		if (!roam_key_check(probe_key(name), cli->key[k], &ke))
			return roam_error_set(e, "%s (command line)", ke.msg);
		snprintf(from, fromlen, "command line");
		*out = cli->key[k];
		return true;
	}
	roam_conf_where(c, "probe", name, from, fromlen);
	*out = roam_conf_str(c, "probe", name);
	return true;
}

static bool get_uint(const struct probe_cli *cli, const struct roam_conf *c,
		     enum probe_key_opt k, unsigned *out, struct roam_error *e)
{
	const char *v;
	char from[64];

	if (!value_of(cli, c, k, &v, from, sizeof(from), e))
		return false;
	*out = (unsigned)strtoul(v, NULL, 10);	/* already range-checked */
	return true;
}

static bool get_method(const struct probe_cli *cli, struct probe_settings *s,
		       struct roam_error *e)
{
	const char *v;
	char from[64];
	unsigned port;
	struct roam_error me;

	if (!get_uint(cli, s->conf, PROBE_OPT_TCP_PORT, &port, e) ||
	    !value_of(cli, s->conf, PROBE_OPT_METHOD, &v, from, sizeof(from), e))
		return false;
	s->opts.tcp_port = (uint16_t)port;
	/* tcp:PORT in method wins over tcp_port */
	if (!roam_probe_parse_method(v, &s->opts, &me))
		return roam_error_set(e, "%s: %s", from, me.msg);
	return true;
}

static bool add_target(struct probe_settings *s, const char *name, struct roam_error *e)
{
	s->targets[s->ntargets] = strdup(name);
	if (!s->targets[s->ntargets])
		return roam_error_set(e, "out of memory");
	s->ntargets++;
	return true;
}

/* Every TARGET of [redirect] recipients that the list does not name yet:
 * roam-redirectd answers from their state files. */
static bool add_table_targets(struct probe_settings *s, const struct redirect_table *t,
			      struct roam_error *e)
{
	for (size_t r = 0; r < t->n; r++) {
		char name[INET_ADDRSTRLEN];
		size_t i = 0;

		inet_ntop(AF_INET, &t->rows[r].target, name, sizeof(name));
		while (i < s->ntargets && strcmp(s->targets[i], name))
			i++;
		if (i == s->ntargets && !add_target(s, name, e))
			return false;
	}
	return true;
}

static bool copy_targets(const struct probe_cli *cli, struct probe_settings *s,
			 struct roam_error *e)
{
	const char *const *list = (const char *const *)cli->targets;
	const char *recipients = roam_conf_str(s->conf, "redirect", "recipients");
	struct redirect_table t = { 0 };
	size_t n = cli->ntargets;
	bool ok = true;

	if (n == 0) {
		n = roam_conf_list(s->conf, "probe", "target", &list);
		if (recipients && !redirect_table_load(&t, recipients, e))
			return false;
	}
	s->targets = calloc(n + t.n + 1, sizeof(*s->targets));
	if (!s->targets)
		ok = roam_error_set(e, "out of memory");
	for (size_t i = 0; ok && i < n; i++)
		ok = add_target(s, list[i], e);
	ok = ok && add_table_targets(s, &t, e);
	redirect_table_free(&t);
	return ok;
}

bool probe_settings_load(const struct probe_cli *cli, struct probe_settings *s,
			 struct roam_error *e)
{
	/* static: the loaded configuration keeps pointing at this list */
	static const struct roam_section *const secs[] = { &roam_probe_keys, &roam_redirect_keys };
	const char *dir;
	char from[64];

	memset(s, 0, sizeof(*s));
	roam_probe_opts_init(&s->opts);
	s->conf = roam_conf_load(cli->config, 0, secs, 2, e);
	if (!s->conf)
		return false;
	s->config_path = roam_conf_path(s->conf);
	s->max_age_s = (unsigned)roam_conf_int(s->conf, "redirect", "max_age");
	if (!get_uint(cli, s->conf, PROBE_OPT_COUNT, &s->opts.count, e) ||
	    !get_uint(cli, s->conf, PROBE_OPT_TIMEOUT, &s->opts.deadline_ms, e) ||
	    !get_uint(cli, s->conf, PROBE_OPT_INTERVAL, &s->interval_s, e) ||
	    !get_uint(cli, s->conf, PROBE_OPT_HYSTERESIS, &s->hysteresis, e) ||
	    !get_method(cli, s, e) ||
	    !value_of(cli, s->conf, PROBE_OPT_STATE_DIR, &dir, from, sizeof(from), e) ||
	    !copy_targets(cli, s, e))
		goto fail;
	if (!cli->no_state && !(s->state_dir = strdup(dir))) {
		roam_error_set(e, "out of memory");
		goto fail;
	}
	return true;
fail:
	probe_settings_free(s);
	return false;
}

void probe_settings_free(struct probe_settings *s)
{
	for (size_t i = 0; s->targets && i < s->ntargets; i++)
		free(s->targets[i]);
	free(s->targets);
	free(s->state_dir);
	roam_conf_free(s->conf);
	memset(s, 0, sizeof(*s));
}
