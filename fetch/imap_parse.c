/* SPDX-License-Identifier: MIT */
#include "imap_parse.h"

bool imap_literal_size(const char *line, size_t len, unsigned long cap, unsigned long *n)
{
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t open = len - 1;
	while (open > 0 && line[open - 1] != '{')
		open--;
	if (open == 0 || open == len - 1)
		return false;	/* no '{', or "{}" */
	unsigned long v = 0;
	for (size_t i = open; i < len - 1; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		unsigned long d = (unsigned long)(line[i] - '0');
		if (v > (cap - d) / 10)
			return false;	/* beyond the cap, and so never overflows */
		v = v * 10 + d;
	}
	*n = v;
	return true;
}
