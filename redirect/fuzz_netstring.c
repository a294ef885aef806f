/* SPDX-License-Identifier: MIT */
/* libFuzzer: the netstring parser on arbitrary bytes (make fuzz). Whatever
 * it accepts must lie inside the input, end in ',' and format back to the
 * same bytes; a prefix of something accepted is never BAD. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *d;
	size_t dlen, used, max = size ? data[0] * 8u : 0;
	char again[2100];

	switch (netstring_parse(buf, size, max, &d, &dlen, &used)) {
	case NETSTRING_OK:
		assert(used <= size && dlen <= max && d >= buf && d + dlen < buf + used);
		assert(buf[used - 1] == ',');
		assert(netstring_format(again, sizeof(again), d, dlen) == used);
		assert(!memcmp(again, buf, used));
		for (size_t k = 0; k < used; k++)
			assert(netstring_parse(buf, k, max, &d, &dlen, &used) == NETSTRING_MORE);
		break;
	case NETSTRING_MORE:
	case NETSTRING_BAD:
		break;
	}
	return 0;
}
