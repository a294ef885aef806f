/* SPDX-License-Identifier: MIT */
/*
 * config.h — roam.conf: one INI file, a section per tool, parsed by libinih.
 *
 * Each tool declares its keys in one table (name, type, default, help). The
 * table is the single source: values are checked against it while parsing,
 * so a bad file fails with one line naming FILE:LINE, and tests check that
 * etc/roam.conf and roam.conf(5) list exactly the keys of the tables.
 *
 * Lookup: the file named with -c (it must exist), else ~/.config/roam/roam.conf
 * for per-user tools (ROAM_CONF_USER), else /etc/roam.conf; when none exists
 * every key has its default.
 */
#ifndef ROAM_CONFIG_H
#define ROAM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#ifndef ROAM_SYSCONFDIR
#define ROAM_SYSCONFDIR "/etc"
#endif

enum roam_key_type {
	ROAM_T_STRING,	/* any non-empty text */
	ROAM_T_INT,	/* decimal integer in [min, max] */
	ROAM_T_BOOL,	/* yes/no, true/false, on/off, 1/0 */
	ROAM_T_ENUM,	/* one of the words in choices */
	ROAM_T_IPV4,	/* dotted-quad IPv4 address */
	ROAM_T_PREFIX,	/* IPv4 prefix, ADDR[/LEN] */
};

struct roam_key {
	const char *name;
	enum roam_key_type type;
	const char *def;	/* default, as a user would write it; NULL: none */
	const char *help;	/* one line, as in roam.conf(5) */
	long min, max;		/* ROAM_T_INT */
	const char *choices;	/* "a|b|c": the ENUM's words; other types: extra words allowed */
	bool list;		/* may repeat; a value may hold several words */
};

struct roam_section {
	const char *name;	/* "probe" for [probe] */
	const struct roam_key *keys;
	size_t nkeys;
};

#define ROAM_SECTION(sname, table) \
	{ .name = (sname), .keys = (table), .nkeys = sizeof(table) / sizeof((table)[0]) }

enum roam_conf_flags {
	ROAM_CONF_USER = 1 << 0,	/* per-user tool: try ~/.config/roam/roam.conf first */
};

struct roam_conf;

/* Reads the configuration for the given sections; keys of other known sections
 * are skipped. Returns NULL and a one-line "FILE:LINE: ..." message on error. */
struct roam_conf *roam_conf_load(const char *path, unsigned flags,
				 const struct roam_section *const *secs, size_t nsecs,
				 struct roam_error *e);
void roam_conf_free(struct roam_conf *c);

/* The file that was read, or NULL when none was and all keys are defaults. */
const char *roam_conf_path(const struct roam_conf *c);

/* The first value of a key, else its default, else NULL. Asking for a key
 * that is not in the section's table is a programming error (abort). */
const char *roam_conf_str(const struct roam_conf *c, const char *sec, const char *key);
long roam_conf_int(const struct roam_conf *c, const char *sec, const char *key);
bool roam_conf_bool(const struct roam_conf *c, const char *sec, const char *key);
/* All values of a key (a list key's words in file order), else its default's. */
size_t roam_conf_list(const struct roam_conf *c, const char *sec, const char *key,
		      const char *const **values);
bool roam_conf_is_set(const struct roam_conf *c, const char *sec, const char *key);
/* "FILE:LINE" where the key was set, or "default": for a tool's own checks. */
const char *roam_conf_where(const struct roam_conf *c, const char *sec, const char *key,
			    char *buf, size_t len);

/* Parses text as a value of type key->type (used for command-line overrides
 * too, so that -k and count = check the same way). */
bool roam_key_check(const struct roam_key *key, const char *value, struct roam_error *e);
bool roam_parse_bool(const char *s, bool *out);
bool roam_parse_long(const char *s, long min, long max, long *out);

#endif
