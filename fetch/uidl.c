/* SPDX-License-Identifier: MIT */
/*
 * The file: a first line "roam-fetch uidl 1" (it holds spaces, so it can never
 * be mistaken for a UIDL), then one UIDL per line. Any other content is an
 * error, never an empty record: forgetting what was delivered means delivering
 * it all again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "statefile.h"
#include "uidl.h"

#define UIDL_MAGIC "roam-fetch uidl 1\n"
enum {
	UIDL_MAX = 70,			/* RFC 1939 */
	UIDL_FILE_MAX = 16 << 20,	/* ~230 000 UIDLs of the longest kind */
};

struct uidl_db {
	int dirfd;
	char name[256];
	char *shown;		/* state_dir/name, for messages */
	char **slots;		/* open addressing, NULL = empty; never more than half full */
	size_t nslots, count;
	bool dirty;
};

static bool valid_uidl(const char *s, size_t len)
{
	if (len < 1 || len > UIDL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* the slot holding s, or the empty slot where it belongs */
static char **slot_of(char **slots, size_t nslots, const char *s)
{
	size_t i = (size_t)hash(s) & (nslots - 1);

	while (slots[i] && strcmp(slots[i], s) != 0)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static bool grow(struct uidl_db *db)
{
	size_t n = db->nslots ? db->nslots * 2 : 64;
	char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < db->nslots; i++)
		if (db->slots[i])
			*slot_of(slots, n, db->slots[i]) = db->slots[i];
	free(db->slots);
	db->slots = slots;
	db->nslots = n;
	return true;
}

/* 1 placed, 0 already there, -1 out of memory; s is not freed either way */
static int place(struct uidl_db *db, char *s)
{
	char **slot;

	if ((db->count + 1) * 2 > db->nslots && !grow(db))
		return -1;
	slot = slot_of(db->slots, db->nslots, s);
	if (*slot)
		return 0;
	*slot = s;
	db->count++;
	db->dirty = true;
	return 1;
}

/* takes ownership of s */
static bool insert(struct uidl_db *db, char *s)
{
	int placed = place(db, s);

	if (placed <= 0)
		free(s);
	return placed >= 0;
}

bool uidl_contains(const struct uidl_db *db, const char *uidl)
{
	return db->nslots && *slot_of(db->slots, db->nslots, uidl) != NULL;
}

bool uidl_add(struct uidl_db *db, const char *uidl)
{
	char *copy;

	if (!valid_uidl(uidl, strlen(uidl)) || !(copy = strdup(uidl)))
		return false;
	return insert(db, copy);
}

static bool parse(struct uidl_db *db, char *text, size_t len, struct roam_error *e)
{
	size_t magic = strlen(UIDL_MAGIC), line = 2;

	if (len == 0)
		return true;
	if (len < magic || memcmp(text, UIDL_MAGIC, magic) != 0)
		return roam_error_set(e, "%s: not a roam-fetch UIDL file", db->shown);
	if (text[len - 1] != '\n')
		return roam_error_set(e, "%s: truncated (no newline at the end)", db->shown);
	for (char *p = text + magic, *end = text + len; p < end; line++) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *copy;

		if (!valid_uidl(p, (size_t)(nl - p)))
			return roam_error_set(e, "%s:%zu: not a UIDL (1-%d printable characters)",
					      db->shown, line, UIDL_MAX);
		if (!(copy = strndup(p, (size_t)(nl - p))) || !insert(db, copy))
			return roam_error_set(e, "out of memory");
		p = nl + 1;
	}
	db->dirty = false;
	return true;
}

static bool load(struct uidl_db *db, struct roam_error *e)
{
	struct stat st;
	char *text;
	ssize_t len;
	bool ok;

	if (fstatat(db->dirfd, db->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return true;
		return roam_error_set(e, "%s: %s", db->shown, strerror(errno));
	}
	if (!S_ISREG(st.st_mode) || st.st_size > UIDL_FILE_MAX)
		return roam_error_set(e, "%s: not a regular file of at most %d bytes", db->shown,
				      UIDL_FILE_MAX);
	/* +2: room for the NUL, and a file that grew meanwhile is caught as EFBIG */
	if (!(text = malloc((size_t)st.st_size + 2)))
		return roam_error_set(e, "out of memory");
	len = roam_read_small_at(db->dirfd, db->name, text, (size_t)st.st_size + 2);
	if (len < 0)
		ok = roam_error_set(e, "%s: %s", db->shown,
				    errno == EINVAL ? "contains a NUL byte" : strerror(errno));
	else
		ok = parse(db, text, (size_t)len, e);
	free(text);
	return ok;
}

struct uidl_db *uidl_open(const char *state_dir, const char *account, struct roam_error *e)
{
	struct uidl_db *db = calloc(1, sizeof(*db));

	if (!db) {
		roam_error_set(e, "out of memory");
		return NULL;
	}
	db->dirfd = fetch_state_dir(state_dir, account, ".uidl", db->name, sizeof(db->name), e);
	if (db->dirfd < 0) {
		free(db);
		return NULL;
	}
	if (asprintf(&db->shown, "%s/%s", state_dir, db->name) < 0) {
		db->shown = NULL;
		roam_error_set(e, "out of memory");
		goto fail;
	}
	if (!grow(db)) {
		roam_error_set(e, "out of memory");
		goto fail;
	}
	if (load(db, e))
		return db;
fail:
	uidl_close(db);
	return NULL;
}

void uidl_retain(struct uidl_db *db, const char *const *server_uidls, size_t n)
{
	struct uidl_db kept = { .nslots = 0 };

	if (!grow(&kept))
		return; /* out of memory: keeping too much is harmless */
	for (size_t i = 0; i < n; i++) {
		char *s = *slot_of(db->slots, db->nslots, server_uidls[i]);

		if (s && place(&kept, s) < 0) {
			free(kept.slots);
			return;
		}
	}
	/* the strings kept now belong to kept; the others go */
	for (size_t i = 0; i < db->nslots; i++)
		if (db->slots[i] && !uidl_contains(&kept, db->slots[i]))
			free(db->slots[i]);
	free(db->slots);
	db->dirty = db->dirty || kept.count != db->count;
	db->slots = kept.slots;
	db->nslots = kept.nslots;
	db->count = kept.count;
}

bool uidl_save(struct uidl_db *db, struct roam_error *e)
{
	size_t magic = strlen(UIDL_MAGIC), len = magic;
	char *text, *p;
	bool ok;

	if (!db->dirty)
		return true;
	for (size_t i = 0; i < db->nslots; i++)
		if (db->slots[i])
			len += strlen(db->slots[i]) + 1;
	if (!(text = malloc(len)))
		return roam_error_set(e, "out of memory");
	memcpy(text, UIDL_MAGIC, magic);
	p = text + magic;
	for (size_t i = 0; i < db->nslots; i++) {
		if (!db->slots[i])
			continue;
		size_t n = strlen(db->slots[i]);

		memcpy(p, db->slots[i], n);
		p[n] = '\n';
		p += n + 1;
	}
	ok = roam_atomic_write_at(db->dirfd, db->name, text, len, 0600, e);
	free(text);
	if (ok)
		db->dirty = false;
	return ok;
}

void uidl_close(struct uidl_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nslots; i++)
		free(db->slots[i]);
	free(db->slots);
	free(db->shown);
	if (db->dirfd >= 0)
		close(db->dirfd);
	free(db);
}
