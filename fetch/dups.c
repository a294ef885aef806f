/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dups.h"
#include "log.h"
#include "uidl.h"

enum { DUPS_WARN_MAX = 10 };	/* warnings per run; then one line says how many more */

struct rank {			/* identical copies seen so far: UIDL, digest, length */
	const char *uidl;
	uint64_t digest;
	unsigned long long octets;
	unsigned long count;
};

struct dups {
	const struct mailbox_listing *l;
	bool *has;		/* per listing index */
	char **keys;		/* per listing index, from dups_key */
	size_t count;
	struct rank *ranks;	/* open addressing, never more than half full */
	size_t nranks;
};

static int by_uidl(const void *a, const void *b)
{
	const struct mailbox_msg *const *x = a, *const *y = b;
	int c = strcmp((*x)->uidl, (*y)->uidl);

	return c ? c : ((*x)->num > (*y)->num) - ((*x)->num < (*y)->num);
}

static void warn_group(const struct mailbox_msg *const *g, size_t n, size_t *warned)
{
	if ((*warned)++ >= DUPS_WARN_MAX)
		return;
	roam_warn("UIDL %s is given to %zu messages (%lu, %lu%s): each is retrieved and "
		  "delivered once, told apart by its content; none is deleted on its UIDL alone",
		  g[0]->uidl, n, g[0]->num, g[1]->num, n > 2 ? ", …" : "");
}

/* marks every message of a run of equal UIDLs in the sorted s */
static size_t mark(struct dups *d, const struct mailbox_msg **s, size_t n)
{
	size_t warned = 0;

	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(s[i]->uidl, s[j]->uidl); j++)
			;
		if (j - i < 2)
			continue;
		warn_group(s + i, j - i, &warned);
		for (size_t k = i; k < j; k++)
			d->has[s[k] - d->l->msgs] = true;
		d->count += j - i;
	}
	if (warned > DUPS_WARN_MAX)
		roam_warn("%zu more UIDLs are shared by several messages", warned - DUPS_WARN_MAX);
	return d->count;
}

bool dups_find(const struct mailbox_listing *l, struct dups **out)
{
	const struct mailbox_msg **sorted = NULL;
	struct dups *d = NULL;

	*out = NULL;
	if (l->n < 2)
		return true;
	if (!(sorted = malloc(l->n * sizeof(*sorted))) || !(d = calloc(1, sizeof(*d))) ||
	    !(d->has = calloc(l->n, sizeof(*d->has))))
		goto fail;
	d->l = l;
	for (size_t i = 0; i < l->n; i++)
		sorted[i] = &l->msgs[i];
	qsort(sorted, l->n, sizeof(*sorted), by_uidl);
	if (mark(d, sorted, l->n)) {
		for (d->nranks = 16; d->nranks < 2 * d->count; d->nranks *= 2)
			;
		if (!(d->keys = calloc(l->n, sizeof(*d->keys))) ||
		    !(d->ranks = calloc(d->nranks, sizeof(*d->ranks))))
			goto fail;
		*out = d;
		d = NULL;
	}
	free(sorted);
	dups_free(d);
	return true;
fail:
	free(sorted);
	dups_free(d);
	return false;
}

bool dups_has(const struct dups *d, size_t idx)
{
	return d && d->has[idx];
}

size_t dups_count(const struct dups *d)
{
	return d ? d->count : 0;
}

uint64_t dups_digest(uint64_t h, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 0x100000001b3ull;
	return h;
}

static struct rank *rank_of(struct dups *d, const char *uidl, uint64_t digest,
			    unsigned long long octets)
{
	uint64_t h = dups_digest(digest ^ octets, uidl, strlen(uidl));
	size_t i = (size_t)h & (d->nranks - 1);

	while (d->ranks[i].uidl && (d->ranks[i].digest != digest ||
				    d->ranks[i].octets != octets || strcmp(d->ranks[i].uidl, uidl)))
		i = (i + 1) & (d->nranks - 1);
	return &d->ranks[i];
}

const char *dups_key(struct dups *d, size_t idx, uint64_t digest, unsigned long long octets)
{
	const char *uidl = d->l->msgs[idx].uidl;
	struct rank *r = rank_of(d, uidl, digest, octets);
	char key[UIDL_KEY_MAX + 1];

	if (!r->uidl)
		*r = (struct rank){ .uidl = uidl, .digest = digest, .octets = octets };
	snprintf(key, sizeof(key), "%s %016" PRIx64 ".%llu %lu", uidl, digest, octets, r->count++);
	free(d->keys[idx]);
	return d->keys[idx] = strdup(key);
}

const char *dups_key_of(const struct dups *d, size_t idx)
{
	return d ? d->keys[idx] : NULL;
}

void dups_free(struct dups *d)
{
	if (!d)
		return;
	if (d->keys)
		for (size_t i = 0; i < d->l->n; i++)
			free(d->keys[i]);
	free(d->keys);
	free(d->has);
	free(d->ranks);
	free(d);
}
