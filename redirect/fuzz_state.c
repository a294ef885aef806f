/* SPDX-License-Identifier: MIT */
/* libFuzzer: the state file parser roam-redirect relies on (make fuzz). What
 * it accepts must format back to exactly the same text. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probestate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[ROAM_PROBESTATE_MAX], again[ROAM_PROBESTATE_MAX];
	struct roam_probestate st;
	int len;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!roam_probestate_parse(text, &st, NULL))
		return 0;
	assert(st.since <= st.checked);
	len = roam_probestate_format(&st, again, sizeof(again));
	assert(len >= 0 && (size_t)len == strlen(text) && !strcmp(again, text));
	return 0;
}
