/* SPDX-License-Identifier: MIT */
/*
 * The file: a first line "roam-fetch uidl 2", then one key per line. Any other
 * content is an error, never an empty record: forgetting what was delivered
 * means delivering it all again. A key is a UIDL as listing.h escapes it
 * (0x21-0x7e only, '%' written %25), optionally followed by " " and more
 * (run.c's keys of messages sharing a UIDL): the part before the first space
 * is the UIDL, which uidl_retain goes by. Version 1 held raw UIDLs (0x21-0x7e,
 * '%' as it is): it is read with each '%' turned into %25, so that every key
 * it holds means the same message again, and written back as version 2.
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

#define UIDL_MAGIC "roam-fetch uidl 2\n"
#define UIDL_MAGIC_V1 "roam-fetch uidl 1\n"
enum {
	UIDL_V1_MAX = 70,		/* RFC 1939 */
	UIDL_FILE_MAX = 64 << 20,	/* ~1 000 000 listing.h UIDLs of the longest kind */
};

struct uidl_db {
	int dirfd;
	char name[256];
	char *shown;		/* state_dir/name, for messages */
	char **slots;		/* open addressing, NULL = empty; never more than half full */
	size_t nslots, count;
	bool dirty;
};

/* 0x21-0x7e, with single spaces inside allowed (see above) */
static bool valid_key(const char *s, size_t len)
{
	if (len < 1 || len > UIDL_KEY_MAX || s[0] == ' ' || s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || (s[i] == ' ' && s[i + 1] == ' '))
			return false;
	return true;
}

static bool valid_v1(const char *s, size_t len)
{
	if (len < 1 || len > UIDL_V1_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* a version 1 line as version 2 has it: '%' → "%25"; malloc'd */
static char *from_v1(const char *s, size_t len)
{
	char *out = malloc(3 * len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			memcpy(o, "%25", 3);
			o += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
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

	if (!valid_key(uidl, strlen(uidl)) || !(copy = strdup(uidl)))
		return false;
	return insert(db, copy);
}

static bool parse(struct uidl_db *db, char *text, size_t len, struct roam_error *e)
{
	size_t magic = strlen(UIDL_MAGIC), line = 2;
	bool v1;

	if (len == 0)
		return true;
	v1 = len >= magic && !memcmp(text, UIDL_MAGIC_V1, magic);
	if (len < magic || (!v1 && memcmp(text, UIDL_MAGIC, magic) != 0))
		return roam_error_set(e, "%s: not a roam-fetch UIDL file", db->shown);
	if (text[len - 1] != '\n')
		return roam_error_set(e, "%s: truncated (no newline at the end)", db->shown);
	for (char *p = text + magic, *end = text + len; p < end; line++) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *copy;
		size_t n = (size_t)(nl - p);

		if (v1 ? !valid_v1(p, n) : !valid_key(p, n))
			return roam_error_set(e, "%s:%zu: not a UIDL (1-%d printable characters)",
					      db->shown, line, v1 ? UIDL_V1_MAX : UIDL_KEY_MAX);
		if (!(copy = v1 ? from_v1(p, n) : strndup(p, n)) || !insert(db, copy))
			return roam_error_set(e, "out of memory");
		p = nl + 1;
	}
	db->dirty = v1;		/* written back as version 2 by the next save */
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

/* whether the UIDL part of key (up to its first space) is in listed */
static bool uidl_listed(const struct uidl_db *listed, const char *key)
{
	char uidl[UIDL_KEY_MAX + 1];
	size_t n = strcspn(key, " ");

	if (!key[n])
		return uidl_contains(listed, key);
	memcpy(uidl, key, n);
	uidl[n] = '\0';
	return uidl_contains(listed, uidl);
}

void uidl_retain(struct uidl_db *db, const char *const *server_uidls, size_t n)
{
	struct uidl_db listed = { .nslots = 0 };	/* borrows the caller's strings */
	char **kept;
	size_t count = 0;

	/* out of memory: keeping too much is harmless */
	if (!grow(&listed))
		return;
	for (size_t i = 0; i < n; i++)
		if (place(&listed, (char *)server_uidls[i]) < 0) {
			free(listed.slots);
			return;
		}
	/* a table as large, rebuilt: open addressing cannot just drop a slot */
	if (!(kept = calloc(db->nslots, sizeof(*kept)))) {
		free(listed.slots);
		return;
	}
	for (size_t i = 0; i < db->nslots; i++) {
		if (!db->slots[i])
			continue;
		if (uidl_listed(&listed, db->slots[i])) {
			*slot_of(kept, db->nslots, db->slots[i]) = db->slots[i];
			count++;
		} else {
			free(db->slots[i]);
		}
	}
	free(listed.slots);
	free(db->slots);
	db->slots = kept;
	db->dirty = db->dirty || count != db->count;
	db->count = count;
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
