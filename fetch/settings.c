/* SPDX-License-Identifier: MIT */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "config.h"
#include "mailbox.h"
#include "settings.h"

extern const struct roam_section roam_fetch_keys;

enum opt_id {
	OPT_CONFIG = 'c', OPT_KEEP = 'k', OPT_QUIET = 'q', OPT_VERBOSE = 'v',
	OPT_HELP = 'h', OPT_VERSION = 'V',
	OPT_MAILDIR = 256, OPT_MBOX, OPT_MDA, OPT_CHECK, OPT_FORWARD, OPT_WATCH,
};

/* one table: getopt's options and the --help text come from it */
static const struct opt {
	const char *name;
	int id;
	const char *arg;	/* NULL: no argument */
	const char *help;
} opts[] = {
	{ "config", OPT_CONFIG, "FILE", "read FILE instead of ~/.config/roam/roam.conf, /etc/roam.conf" },
	{ "keep", OPT_KEEP, NULL, "leave messages on the server; fetch only new ones" },
	{ "maildir", OPT_MAILDIR, "DIR", "deliver into the Maildir DIR" },
	{ "mbox", OPT_MBOX, "FILE", "deliver into the mbox FILE" },
	{ "mda", OPT_MDA, "CMD", "deliver to CMD's stdin (sh -c); exit 0 means delivered" },
	{ "check", OPT_CHECK, NULL, "only count the messages not yet delivered" },
	{ "watch", OPT_WATCH, NULL, "keep fetching: IMAP IDLE, POP3 every watch_interval s; until SIGTERM" },
	{ "forward", OPT_FORWARD, "[ADDR:]PORT|unix:PATH",
	  "forward ADDR:PORT (127.0.0.1) or a unix socket to the POP3 server, for your uid only" },
	{ "quiet", OPT_QUIET, NULL, "errors only" },
	{ "verbose", OPT_VERBOSE, NULL, "say what happens (twice: POP3 or IMAP commands too)" },
	{ "help", OPT_HELP, NULL, "this text" },
	{ "version", OPT_VERSION, NULL, "the version" },
};
enum { N_OPTS = sizeof(opts) / sizeof(opts[0]) };

void settings_usage(FILE *f)
{
	fprintf(f, "usage: roam-fetch [-c FILE] [-k] [--maildir DIR | --mbox FILE | --mda CMD]\n"
		   "                  [--check | --watch] [-q | -v] [--forward [ADDR:]PORT|unix:PATH]\n\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		char left[40];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", opts[i].id < 256 ? "-" : "",
			 opts[i].id < 256 ? opts[i].id : ' ', opts[i].id < 256 ? ", " : "  ",
			 opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-26s %s\n", left + (opts[i].id < 256 ? 0 : 1), opts[i].help);
	}
	fprintf(f, "\nThe server password comes from password_file or password_command in roam.conf.\n");
}

static bool set_deliver(struct settings *s, const char *kind, const char *arg,
			struct roam_error *e)
{
	if (s->deliver_buf)
		return roam_error_set(e, "--maildir, --mbox and --mda exclude each other");
	if (!*arg)
		return roam_error_set(e, "--%s needs a non-empty argument", kind);
	if (asprintf(&s->deliver_buf, "%s:%s", kind, arg) < 0) {
		s->deliver_buf = NULL;
		return roam_error_set(e, "out of memory");
	}
	s->deliver_opt = s->deliver_buf;
	return true;
}

static bool apply_opt(struct settings *s, int id, const char *arg, struct roam_error *e)
{
	switch (id) {
	case OPT_CONFIG:	s->config = arg; return true;
	case OPT_KEEP:		s->keep = s->keep_set = true; return true;
	case OPT_MAILDIR:	return set_deliver(s, "maildir", arg, e);
	case OPT_MBOX:		return set_deliver(s, "mbox", arg, e);
	case OPT_MDA:		return set_deliver(s, "mda", arg, e);
	case OPT_CHECK:		s->check = true; return true;
	case OPT_FORWARD:	s->forward = arg; return true;
	case OPT_WATCH:		s->watch = true; return true;
	case OPT_QUIET:		s->verbosity = -1; return true;
	case OPT_VERBOSE:	s->verbosity = s->verbosity < 0 ? 1 : s->verbosity + 1; return true;
	case OPT_HELP:		s->help = true; return true;
	case OPT_VERSION:	s->version = true; return true;
	default:		return roam_error_set(e, "bad option (try --help)");
	}
}

bool settings_parse_args(struct settings *s, int argc, char **argv, struct roam_error *e)
{
	struct option lo[N_OPTS + 1];
	char shorts[2 * N_OPTS + 2] = ":";
	size_t ns = 1;
	int c;

	for (size_t i = 0; i < N_OPTS; i++) {
		lo[i] = (struct option){ opts[i].name, opts[i].arg ? required_argument : no_argument,
					 NULL, opts[i].id };
		if (opts[i].id < 256) {
			shorts[ns++] = (char)opts[i].id;
			if (opts[i].arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	lo[N_OPTS] = (struct option){ 0 };
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == '?')
			return roam_error_set(e, "unknown option `%s' (try --help)", argv[optind - 1]);
		if (c == ':')
			return roam_error_set(e, "option `%s' needs an argument", argv[optind - 1]);
		if (!apply_opt(s, c, optarg, e))
			return false;
	}
	if (optind < argc)
		return roam_error_set(e, "unexpected argument `%s' (try --help)", argv[optind]);
	if (s->forward && (s->check || s->keep_set || s->deliver_opt))
		return roam_error_set(e, "--forward takes no --check, --keep or delivery option");
	if (s->watch && (s->check || s->forward))
		return roam_error_set(e, "--watch takes no --check or --forward");
	return true;
}

char *settings_expand_home(const char *path)
{
	const char *home = getenv("HOME");
	char *out;

	if (strncmp(path, "~/", 2) && strcmp(path, "~"))
		return strdup(path);
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	if (asprintf(&out, "%s%s", home, path + 1) < 0)
		return NULL;
	return out;
}

static char *user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && *u)
		return strdup(u);
	pw = getpwuid(getuid());
	return strdup(pw ? pw->pw_name : "nobody");
}

/* the value of key, copied (~ expanded when asked); NULL when unset */
static char *conf_copy(const struct roam_conf *c, const char *key, bool path)
{
	const char *v = roam_conf_str(c, "fetch", key);

	if (!v)
		return NULL;
	return path ? settings_expand_home(v) : strdup(v);
}

/* ssh_command's words, checked; an error names FILE:LINE */
static bool fill_command(struct settings *s, const struct roam_conf *c, struct roam_error *e)
{
	const char *v = roam_conf_str(c, "fetch", "ssh_command");
	struct roam_error why = { "" };
	char where[300];

	if (!v)
		return true;
	if (!(s->ssh_command = command_split(v, &why)))
		return roam_error_set(e, "%s: ssh_command `%s': %s",
				      roam_conf_where(c, "fetch", "ssh_command", where,
						      sizeof(where)), v, why.msg);
	return true;
}

/* the neutral key, or its older pop3_* alias (never both): its name in *used */
static bool pick_alias(const struct roam_conf *c, const char *key, const char *alias,
		       const char **used, struct roam_error *e)
{
	char w1[300], w2[300];

	*used = key;
	if (!roam_conf_is_set(c, "fetch", alias))
		return true;
	if (roam_conf_is_set(c, "fetch", key))
		return roam_error_set(e, "%s: %s is an alias of %s (%s): keep one",
				      roam_conf_where(c, "fetch", alias, w1, sizeof(w1)), alias, key,
				      roam_conf_where(c, "fetch", key, w2, sizeof(w2)));
	*used = alias;
	return true;
}

/* protocol, folder, and the server keys under their names or aliases */
static bool fill_server(struct settings *s, const struct roam_conf *c, struct roam_error *e)
{
	const char *host, *port, *user;

	if (!pick_alias(c, "server_host", "pop3_host", &host, e) ||
	    !pick_alias(c, "server_port", "pop3_port", &port, e) ||
	    !pick_alias(c, "server_user", "pop3_user", &user, e))
		return false;
	s->protocol = mailbox_find(roam_conf_str(c, "fetch", "protocol"));
	if (!s->protocol)	/* unreachable: the ENUM's choices are the table's names */
		return roam_error_set(e, "[fetch] protocol: unknown");
	s->folder = conf_copy(c, "folder", false);
	s->server_host = conf_copy(c, host, false);
	s->server_port = roam_conf_is_set(c, "fetch", port) ? (int)roam_conf_int(c, "fetch", port)
							   : s->protocol->default_port;
	s->server_user = conf_copy(c, user, false);
	if (!s->folder || !s->server_host)
		return roam_error_set(e, "out of memory");
	return true;
}

static bool fill(struct settings *s, const struct roam_conf *c, struct roam_error *e)
{
	if (!fill_command(s, c, e) || !fill_server(s, c, e))
		return false;
	s->ssh.host = conf_copy(c, "ssh_host", false);
	s->ssh.port = (int)roam_conf_int(c, "fetch", "ssh_port");
	s->ssh.user = conf_copy(c, "ssh_user", false);
	s->ssh.identity = conf_copy(c, "identity", true);
	s->ssh.known_hosts = conf_copy(c, "known_hosts", true);
	s->ssh.compress = roam_conf_bool(c, "fetch", "compress");
	s->timeout = s->ssh.timeout = (int)roam_conf_int(c, "fetch", "timeout");
	s->max_message_size = (unsigned long long)roam_conf_int(c, "fetch", "max_message_size");
	s->forward_idle_timeout = (int)roam_conf_int(c, "fetch", "forward_idle_timeout");
	s->watch_interval = (int)roam_conf_int(c, "fetch", "watch_interval");
	s->pipelining = roam_conf_bool(c, "fetch", "pipelining");
	s->password_file = conf_copy(c, "password_file", true);
	s->password_command = conf_copy(c, "password_command", false);
	if (!s->keep_set)
		s->keep = roam_conf_bool(c, "fetch", "keep");
	s->deliver = s->deliver_opt ? strdup(s->deliver_opt) : conf_copy(c, "deliver", false);
	s->state_dir = conf_copy(c, "state_dir", true);
	if (!s->ssh.user)
		s->ssh.user = user_name();
	if (!s->server_user)
		s->server_user = user_name();
	if (!s->ssh.user || !s->server_user || !s->ssh.known_hosts || !s->server_host ||
	    !s->deliver || !s->state_dir)
		return roam_error_set(e, "out of memory");
	return true;
}

bool settings_load(struct settings *s, struct roam_error *e)
{
	const struct roam_section *secs[] = { &roam_fetch_keys };
	struct roam_conf *c = roam_conf_load(s->config, ROAM_CONF_USER, secs, 1, e);
	char where[256];
	bool ok;

	if (!c)
		return false;
	snprintf(where, sizeof(where), "%s",
		 roam_conf_path(c) ? roam_conf_path(c) : "no configuration file");
	ok = fill(s, c, e);
	roam_conf_free(c);
	if (!ok)
		return false;
	if (!s->ssh.host && !s->ssh_command)
		return roam_error_set(e, "%s: [fetch] needs ssh_host or ssh_command", where);
	if (!s->forward && !s->password_file && !s->password_command)
		return roam_error_set(e, "%s: [fetch] needs password_file or password_command",
				      where);
	if (s->password_file && s->password_command)
		return roam_error_set(e, "%s: [fetch] has both password_file and "
				      "password_command; keep one", where);
	if (strncmp(s->deliver, "maildir:", 8) && strncmp(s->deliver, "mbox:", 5) &&
	    strncmp(s->deliver, "mda:", 4))
		return roam_error_set(e, "deliver `%s': not maildir:DIR, mbox:FILE or mda:COMMAND",
				      s->deliver);
	/* with ssh_command, a set ssh_host keeps the account (its UIDL record and
	 * lock) of the libssh2 transport: switching loses and repeats nothing.
	 * POP3 accounts keep the name they always had; an IMAP account is one
	 * folder ("imap:" + folder in front). */
	char *scope = NULL;

	if (s->protocol != &mailbox_pop3 &&
	    asprintf(&scope, "%s:%s:", s->protocol->name, s->folder) < 0)
		return roam_error_set(e, "out of memory");
	if ((s->ssh.host ? asprintf(&s->account, "%s%s@%s:%d via %s@%s:%d", scope ? scope : "",
				    s->server_user, s->server_host, s->server_port, s->ssh.user,
				    s->ssh.host, s->ssh.port)
			 : asprintf(&s->account, "%s%s@%s:%d via ssh_command", scope ? scope : "",
				    s->server_user, s->server_host, s->server_port)) < 0) {
		free(scope);
		s->account = NULL;
		return roam_error_set(e, "out of memory");
	}
	free(scope);
	return true;
}

void settings_free(struct settings *s)
{
	free(s->deliver_buf);
	command_free(s->ssh_command);
	free((char *)s->ssh.host);
	free((char *)s->ssh.user);
	free((char *)s->ssh.identity);
	free((char *)s->ssh.known_hosts);
	free(s->server_host);
	free(s->server_user);
	free(s->folder);
	free(s->password_file);
	free(s->password_command);
	free(s->deliver);
	free(s->state_dir);
	free(s->account);
}
