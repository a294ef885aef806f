/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"

/* decimal digits, no sign, no blanks, no overflow; the rest after them in *end */
static bool parse_number(const char *s, size_t len, unsigned long *out, size_t *end)
{
	unsigned long v = 0;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (ULONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	*end = i;
	return i > 0;
}

static bool escape(const char *raw, size_t len, char *out, unsigned char lowest)
{
	bool odd = false;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < lowest || c > 0x7e || c == '%') {
			odd = odd || c != '%';
			o += (size_t)sprintf(out + o, "%%%02X", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return odd;
}

bool listing_escape(const char *raw, size_t len, char *out)
{
	return escape(raw, len, out, 0x21);
}

void listing_show(const char *raw, size_t len, char *out)
{
	escape(raw, len, out, 0x20);
}

static struct mailbox_msg *find_msg(struct mailbox_listing *l, unsigned long num)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->msgs[mid].num == num)
			return &l->msgs[mid];
		if (l->msgs[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool listing_add_uidl(struct mailbox_listing *l, const char *line, size_t len)
{
	char uidl[LISTING_KEY_MAX + 1];
	struct mailbox_msg *grown;
	unsigned long num;
	size_t at, ulen;
	bool odd;

	if (!parse_number(line, len, &num, &at) || !num || at >= len || line[at] != ' ')
		return false;
	ulen = len - at - 1;
	if (!ulen || ulen > LISTING_UIDL_MAX || l->n >= LISTING_MESSAGES_MAX ||
	    (l->n && l->msgs[l->n - 1].num >= num))
		return false;
	odd = listing_escape(line + at + 1, ulen, uidl);
	if (!(grown = realloc(l->msgs, (l->n + 1) * sizeof(*grown))))
		return false;
	l->msgs = grown;
	grown[l->n] = (struct mailbox_msg){ .num = num, .uidl = strdup(uidl), .escaped = odd };
	if (!grown[l->n].uidl)
		return false;
	l->n++;
	return true;
}

bool listing_add_size(struct mailbox_listing *l, const char *line, size_t len)
{
	unsigned long num, size;
	size_t at, end;
	struct mailbox_msg *m;

	if (!parse_number(line, len, &num, &at) || !num || at >= len || line[at] != ' ' ||
	    !parse_number(line + at + 1, len - at - 1, &size, &end) || at + 1 + end != len)
		return false;
	if ((m = find_msg(l, num)))
		m->size = size;
	return true;
}

void listing_free(struct mailbox_listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->msgs[i].uidl);
		free(l->msgs[i].alt);
	}
	free(l->msgs);
	free(l->epoch);
	*l = (struct mailbox_listing){ 0 };
}
