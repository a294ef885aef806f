/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "netstring.h"

enum netstring_result netstring_parse(const char *buf, size_t len, size_t max,
				      const char **data, size_t *dlen, size_t *used)
{
	size_t n = 0, i = 0;

	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (i > 0 && n == 0)
			return NETSTRING_BAD;	/* a leading zero */
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > max)
			return NETSTRING_BAD;	/* also keeps n from overflowing */
	}
	if (i == len)
		return NETSTRING_MORE;
	if (i == 0 || buf[i] != ':')
		return NETSTRING_BAD;
	i++;
	if (len - i < n + 1)
		return NETSTRING_MORE;
	if (buf[i + n] != ',')
		return NETSTRING_BAD;
	*data = buf + i;
	*dlen = n;
	*used = i + n + 1;
	return NETSTRING_OK;
}

size_t netstring_format(char *out, size_t cap, const char *data, size_t dlen)
{
	int head = snprintf(out, cap, "%zu:", dlen);

	if (head < 0 || (size_t)head + dlen + 1 > cap)
		return 0;
	memcpy(out + head, data, dlen);
	out[head + dlen] = ',';
	return (size_t)head + dlen + 1;
}
