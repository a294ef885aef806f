/* SPDX-License-Identifier: MIT */
/*
 * deliver_seen.c — which keyed messages a Maildir already holds.
 *
 * A message begun with deliver_begin_keyed lands in new/ as NAME,U=KEY,S=SIZE.
 * If a run dies after its batch moved into new/ but before the UIDLs were
 * recorded, the next run asks deliver_seen before fetching a UIDL again and
 * records it instead of delivering a second copy. The key survives a reader
 * moving the file to cur/ (only the part after ':' is theirs to change).
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

/* the KEY of NAME,U=KEY[,…][:…], or NULL */
static char *key_of(const char *name)
{
	const char *u = strstr(name, ",U="), *end;

	if (!u)
		return NULL;
	u += 3;
	end = u + strcspn(u, ",:");
	return end > u ? strndup(u, (size_t)(end - u)) : NULL;
}

static bool load_dir(struct deliver_target *t, int dirfd, const char *sub)
{
	int fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t cap = t->nseen;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while ((de = readdir(d))) {
		char *key = key_of(de->d_name), **grown;

		if (!key)
			continue;
		if (t->nseen == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(grown = realloc(t->seen, cap * sizeof(*grown)))) {
				free(key);
				closedir(d);
				return false;
			}
			t->seen = grown;
		}
		t->seen[t->nseen++] = key;
	}
	closedir(d);
	return true;
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
	if (t->nseen)
		qsort(t->seen, t->nseen, sizeof(*t->seen), compare);
}

bool maildir_seen(struct deliver_target *t, const char *escaped)
{
	if (!t->seen_loaded)
		load_seen(t);
	return t->nseen && bsearch(&escaped, t->seen, t->nseen, sizeof(*t->seen), compare);
}

void maildir_forget_seen(struct deliver_target *t)
{
	for (size_t i = 0; i < t->nseen; i++)
		free(t->seen[i]);
	free(t->seen);
	t->seen = NULL;
	t->nseen = 0;
}
