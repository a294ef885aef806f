/* SPDX-License-Identifier: MIT */
/*
 * deliver_seen.c — which keyed messages a Maildir (or an mbox) already holds.
 *
 * A message begun with deliver_begin_keyed lands in new/ as NAME,U=KEY,S=SIZE.
 * If a run dies after its batch moved into new/ but before the UIDLs were
 * recorded, the next run asks deliver_seen before fetching a UIDL again and
 * records it instead of delivering a second copy. The key survives a reader
 * moving the file to cur/ (only the part after ':' is theirs to change).
 * An mbox keeps its keys in marker lines; deliver_journal's recovery finds
 * those of the last batch and adds them here.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver_int.h"

/* '%', ',', '/' and ':' would end the field or the name: %XX them. Printable
 * ASCII only, 1–DELIVER_KEY_MAX of them; NULL for anything else. */
char *maildir_escape_key(const char *key)
{
	size_t len = strlen(key), o = 0;
	char *out;

	if (len == 0 || len > DELIVER_KEY_MAX || !(out = malloc(3 * len + 1)))
		return NULL;
	for (const char *k = key; *k; k++) {
		if (*k < 0x21 || *k > 0x7e) {
			free(out);
			return NULL;
		}
		if (strchr("%,/:", *k))
			o += (size_t)sprintf(out + o, "%%%02X", (unsigned char)*k);
		else
			out[o++] = *k;
	}
	out[o] = '\0';
	return out;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool seen_add(struct deliver_target *t, const char *key, size_t len)
{
	char *copy, **grown;

	if (t->nseen == t->seen_cap) {
		size_t cap = t->seen_cap ? 2 * t->seen_cap : 64;

		if (!(grown = realloc(t->seen, cap * sizeof(*grown))))
			return false;
		t->seen = grown;
		t->seen_cap = cap;
	}
	if (!(copy = strndup(key, len)))
		return false;
	t->seen[t->nseen++] = copy;
	return true;
}

void seen_sort(struct deliver_target *t)
{
	if (t->nseen)
		qsort(t->seen, t->nseen, sizeof(*t->seen), compare);
}

/* the KEY of NAME,U=KEY[,…][:…], and its length; NULL when there is none */
static const char *key_of(const char *name, size_t *len)
{
	const char *u = strstr(name, ",U=");

	if (!u)
		return NULL;
	u += 3;
	*len = strcspn(u, ",:");
	return *len ? u : NULL;
}

static bool load_dir(struct deliver_target *t, int dirfd, const char *sub)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	bool ok = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (ok && (de = readdir(d))) {
		size_t len;
		const char *key = key_of(de->d_name, &len);

		ok = !key || seen_add(t, key, len);
	}
	closedir(d);
	return ok;
}

/* new/ and cur/, once per run: the caller asks before fetching, so what this
 * run delivers itself never needs to be in the list */
static void load_seen(struct deliver_target *t)
{
	int dirfd = open(t->where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	t->seen_loaded = true;
	if (dirfd < 0)
		return;
	/* a directory that cannot be read only means "not seen": a duplicate
	 * is possible then, never a loss */
	load_dir(t, dirfd, "new");
	load_dir(t, dirfd, "cur");
	close(dirfd);
	seen_sort(t);
}

bool seen_contains(struct deliver_target *t, const char *key)
{
	if (!t->seen_loaded && t->kind == MAILDIR)
		load_seen(t);
	return t->nseen && bsearch(&key, t->seen, t->nseen, sizeof(*t->seen), compare);
}

void seen_forget(struct deliver_target *t)
{
	for (size_t i = 0; i < t->nseen; i++)
		free(t->seen[i]);
	free(t->seen);
	t->seen = NULL;
	t->nseen = t->seen_cap = 0;
}
