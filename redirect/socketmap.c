/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "netstring.h"
#include "socketmap.h"
#include "statecache.h"
#include "target.h"

enum map { MAP_TRANSPORT, MAP_ALIAS, MAP_UNKNOWN };

static enum map map_of(const char *name, size_t n)
{
	if (n == 9 && !memcmp(name, "transport", 9))
		return MAP_TRANSPORT;
	if (n == 5 && !memcmp(name, "alias", 5))
		return MAP_ALIAS;
	return MAP_UNKNOWN;
}

static size_t reply(char *out, const char *text)
{
	return netstring_format(out, SOCKETMAP_REPLY_MAX, text, strlen(text));
}

/* the row of key when its target is alive by a fresh state file, else NULL */
static const struct redirect_row *alive_row(const struct socketmap_ctx *c, const char *key,
					    time_t now, char *why, size_t whylen)
{
	const struct redirect_row *row = redirect_table_find(c->table, key);
	struct roam_probestate st;
	struct roam_error e;

	if (!row)
		return NULL;
	switch (state_cache_classify(c->states, (size_t)(row - c->table->rows), row->target,
				     c->max_age, now, &st, &e)) {
	case STATE_FRESH:
		return st.alive ? row : NULL;
	case STATE_BAD:
		snprintf(why, whylen, "%s: %.300s", key, e.msg);
		return NULL;
	case STATE_STALE:
	case STATE_MISSING:
		return NULL;	/* roam-probe has not been here lately: away */
	}
	return NULL;
}

size_t socketmap_answer(const struct socketmap_ctx *c, const char *req, size_t n, time_t now,
			char *out, char *why, size_t whylen)
{
	const char *sp = memchr(req, ' ', n);
	char key[REDIRECT_TARGET_MAX + 1], text[SOCKETMAP_REPLY_MAX - 16];
	const struct redirect_row *row;
	enum map map;
	size_t klen;

	why[0] = '\0';
	if (!sp)
		return reply(out, "PERM request is not 'NAME KEY'");
	map = map_of(req, (size_t)(sp - req));
	if (map == MAP_UNKNOWN)
		return reply(out, "PERM unknown map: roam-redirectd has transport and alias");
	klen = n - (size_t)(sp - req) - 1;
	if (klen == 0 || klen >= sizeof(key) || memchr(sp + 1, '\0', klen))
		return reply(out, "NOTFOUND ");	/* no address of the table looks like that */
	memcpy(key, sp + 1, klen);
	key[klen] = '\0';
	row = alive_row(c, key, now, why, whylen);
	if (!row)
		return reply(out, "NOTFOUND ");
	if (map == MAP_TRANSPORT) {
		char addr[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &row->target, addr, sizeof(addr));
		snprintf(text, sizeof(text), "OK smtp:[%s]", addr);
	} else {
		snprintf(text, sizeof(text), "OK %s", row->alive);
	}
	return reply(out, text);
}
