/* SPDX-License-Identifier: MIT */
/* fetch/pop3_reply: status lines refused unless exact; a body unstuffed and
 * ended at its "." line, the same however the octets are split into chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../fetch/pop3_reply.h"

#define STATUS(lit) reply_status((lit), sizeof(lit) - 1)

static void status_lines_are_exact(void **s)
{
	(void)s;
	assert_int_equal(STATUS("+OK"), REPLY_OK);
	assert_int_equal(STATUS("+OK 2102 octets"), REPLY_OK);
	assert_int_equal(STATUS("-ERR"), REPLY_ERR);
	assert_int_equal(STATUS("-ERR [IN-USE] locked"), REPLY_ERR);
	assert_int_equal(STATUS("+OKAY"), REPLY_BAD);
	assert_int_equal(STATUS("-ERROR"), REPLY_BAD);
	assert_int_equal(STATUS("+ok"), REPLY_BAD);
	assert_int_equal(STATUS(" +OK"), REPLY_BAD);
	assert_int_equal(STATUS(""), REPLY_BAD);
	assert_int_equal(STATUS("+OK a\0b"), REPLY_BAD);
	assert_int_equal(STATUS("+OK a\rb"), REPLY_BAD);

	char line[REPLY_LINE_MAX + 1];

	memset(line, 'x', sizeof(line));
	memcpy(line, "+OK ", 4);
	assert_int_equal(reply_status(line, REPLY_LINE_MAX - 2), REPLY_OK);	/* 512 with CRLF */
	assert_int_equal(reply_status(line, REPLY_LINE_MAX - 1), REPLY_BAD);
}

/* feeds wire in chunks of `step' octets; returns the body, sets *used */
static char *feed(const char *wire, size_t len, size_t step, bool verbatim, size_t *outlen,
		  size_t *used, bool *done)
{
	char *body = malloc(len + 2), *chunk = malloc(step + 2);
	struct reply_body b;
	size_t at = 0, o = 0;

	assert_non_null(body);
	assert_non_null(chunk);
	reply_body_init(&b, verbatim);
	*done = false;
	while (at < len && !*done) {
		size_t n = len - at < step ? len - at : step, got;

		at += reply_body_feed(&b, wire + at, n, chunk, &got, done);
		assert_true(got <= n + 2);
		memcpy(body + o, chunk, got);
		o += got;
	}
	free(chunk);
	*outlen = o;
	*used = at;
	return body;
}

/* the same result for every chunk size */
static void expect(const char *wire, size_t wlen, bool verbatim, const char *want, size_t wantlen,
		   size_t wantused)
{
	for (size_t step = 1; step <= wlen; step++) {
		size_t olen, used;
		bool done;
		char *body = feed(wire, wlen, step, verbatim, &olen, &used, &done);

		assert_true(done);
		assert_int_equal(used, wantused);
		assert_int_equal(olen, wantlen);
		assert_memory_equal(body, want, wantlen);
		free(body);
	}
}

#define EXPECT(wire, verbatim, want, used) \
	expect((wire), sizeof(wire) - 1, (verbatim), (want), sizeof(want) - 1, (used))

static void bodies_unstuffed_and_ended(void **s)
{
	(void)s;
	EXPECT(".\r\n", false, "", 3);
	EXPECT(".\r\n", true, "", 3);
	EXPECT("a\r\n.\r\n+OK next", false, "a\r\n", 6);
	EXPECT("a\r\n..\r\n...x\r\n. \r\n.\r\n", false, "a\r\n.\r\n..x\r\n \r\n", 20);
	/* the first line keeps its dot with verbatim (dovecot does not stuff it) */
	EXPECT(".first\r\n.\r\n", true, ".first\r\n", 11);
	EXPECT(".first\r\n.\r\n", false, "first\r\n", 11);
	EXPECT("..first\r\n.\r\n", true, "..first\r\n", 12);
	/* bare CR and LF are the message's; only CRLF "." CRLF ends it */
	EXPECT("a\n.\r\nb\r.\r\n\r\n.\r\n", false, "a\n.\r\nb\r.\r\n\r\n", 15);
	EXPECT("a\r\n.\rb\r\n.\r\n", false, "a\r\n\rb\r\n", 11);
	EXPECT(".\rb\r\n.\r\n", true, ".\rb\r\n", 8);
	EXPECT("a\r\r\n.\r\n", false, "a\r\r\n", 7);
	EXPECT("nul\0x\r\n.\r\n", false, "nul\0x\r\n", 10);
}

static void unended_body_is_not_done(void **s)
{
	static const char wire[] = "a\r\nb\r\n.";
	size_t olen, used;
	bool done;

	(void)s;
	for (size_t step = 1; step < sizeof(wire); step++) {
		char *body = feed(wire, sizeof(wire) - 1, step, false, &olen, &used, &done);

		assert_false(done);
		assert_int_equal(used, sizeof(wire) - 1);
		assert_int_equal(olen, 6);	/* the dot is held: it may be the end */
		free(body);
	}
}

/* a large body across many chunks comes out byte for byte */
static void large_body_across_chunks(void **s)
{
	enum { LINES = 5000 };
	char *wire = malloc(LINES * 60 + 8), *want = malloc(LINES * 60);
	size_t w = 0, o = 0, olen, used;
	bool done;

	(void)s;
	for (int i = 0; i < LINES; i++) {
		int n = i % 53;

		if (i % 7 == 0)
			wire[w++] = '.', want[o++] = '.';	/* stuffed once */
		if (i % 7 == 0)
			wire[w++] = '.';
		for (int k = 0; k < n; k++)
			wire[w++] = want[o++] = (char)('a' + (i + k) % 26);
		memcpy(wire + w, "\r\n", 2), memcpy(want + o, "\r\n", 2);
		w += 2, o += 2;
	}
	memcpy(wire + w, ".\r\n", 3);
	w += 3;
	for (size_t step = 1000; step < 70000; step = step * 3 + 7) {
		char *body = feed(wire, w, step, false, &olen, &used, &done);

		assert_true(done);
		assert_int_equal(used, w);
		assert_int_equal(olen, o);
		assert_memory_equal(body, want, o);
		free(body);
	}
	free(wire);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_lines_are_exact),
		cmocka_unit_test(bodies_unstuffed_and_ended),
		cmocka_unit_test(unended_body_is_not_done),
		cmocka_unit_test(large_body_across_chunks),
	};

	return cmocka_run_group_tests_name("fetch_reply", tests, NULL, NULL);
}
