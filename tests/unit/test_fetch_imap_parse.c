/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../fetch/imap_parse.h"

static bool lit(const char *s, unsigned long cap, unsigned long *n)
{
	return imap_literal_size(s, strlen(s), cap, n);
}

static void literal_ok(void **state)
{
	(void)state;
	unsigned long n = 7;
	assert_true(lit("* 1 FETCH (UID 4 BODY[] {1234}", 100000, &n));
	assert_int_equal(n, 1234);
	assert_true(lit("{0}", 10, &n));
	assert_int_equal(n, 0);
	assert_true(lit("{10}", 10, &n));
	assert_int_equal(n, 10);
}

static void literal_hostile(void **state)
{
	(void)state;
	unsigned long n = 7;
	assert_false(lit("{11}", 10, &n));				/* over the cap */
	assert_false(lit("{99999999999999999999999999}", (unsigned long)-1, &n));
	assert_false(lit("{}", 10, &n));
	assert_false(lit("{+5}", 10, &n));
	assert_false(lit("{5", 10, &n));
	assert_false(lit("5}", 10, &n));
	assert_false(lit("{5} ", 10, &n));
	assert_false(imap_literal_size("{5\0}", 4, 10, &n));	/* NUL inside */
	assert_int_equal(n, 7);					/* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literal_ok),
		cmocka_unit_test(literal_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
