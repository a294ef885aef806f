/* SPDX-License-Identifier: MIT */
/* libFuzzer: the header scanner and the target check on arbitrary bytes
 * (make fuzz). The first byte picks the piece size, so that the same message
 * is also scanned cut at every possible place. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "target.h"

static const char *const skip[] = { "*@lists.example.net", "mailer-daemon*", "[" };

static void check_target(const uint8_t *data, size_t size)
{
	char s[300];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	if (!redirect_target_ok(s))
		return;
	/* what passes must be one word procmail cannot misread */
	assert(s[0] != '-' && strlen(s) <= REDIRECT_TARGET_MAX);
	assert(strcspn(s, " \t\r\n\"'`$;|&<>()*?[]~\\!#,:/%") == strlen(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_rules r;
	struct header_scan h;
	size_t step, off = 0;

	check_target(data, size);
	if (size < 1)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++, size--;
	if (!header_rules_init(&r, "X-Loop: roam@example.net", skip, 3, NULL))
		abort();
	header_scan_init(&h, &r);
	while (off < size && !h.done) {
		size_t n = size - off < step ? size - off : step;
		size_t used = header_scan_feed(&h, (const char *)data + off, n);

		assert(used <= n);
		off += used;
		if (used < n)
			assert(h.done);
	}
	header_scan_finish(&h);
	assert(h.done);
	assert(header_scan_feed(&h, "x", 1) == 0);
	assert(!h.matched || h.reason[0]);
	return 0;
}
