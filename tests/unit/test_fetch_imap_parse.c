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
	assert_false(lit("{7}", 5, &n));			/* a digit above a small cap */
	assert_int_equal(n, 7);					/* untouched */
}

static void number(void **state)
{
	(void)state;
	const char *in = "4294967295 rest", *p = in;
	unsigned long v = 9;

	assert_true(imap_number(&p, in + strlen(in), 0xffffffffu, &v));
	assert_int_equal(v, 4294967295u);
	assert_ptr_equal(p, in + 10);
	p = in;
	assert_false(imap_number(&p, in + strlen(in), 4294967294u, &v));	/* over cap */
	in = "-5";
	p = in;
	assert_false(imap_number(&p, in + 2, 100, &v));
	in = "99999999999999999999999";
	p = in;
	assert_false(imap_number(&p, in + strlen(in), (unsigned long)-1, &v));
	assert_ptr_equal(p, in);					/* untouched */
	assert_false(imap_number(&p, in, 100, &v));			/* empty */
}

static size_t name_len(const char *s)
{
	return imap_item_name(s, s + strlen(s));
}

static void item_name(void **state)
{
	(void)state;
	assert_int_equal(name_len("UID 5"), 3);
	assert_int_equal(name_len("RFC822.SIZE 100"), 11);
	assert_int_equal(name_len("BODY[] {5}"), 6);
	assert_int_equal(name_len("BODY[HEADER.FIELDS (MESSAGE-ID)] {40}"), 32);
	assert_int_equal(name_len("BODY[]<0> {5}"), 9);
	assert_int_equal(name_len("BODY[HEADER"), 0);		/* unclosed */
	assert_int_equal(name_len("BODY[a[b]] x"), 0);		/* nested */
	assert_int_equal(name_len("BODY[]<x> y"), 0);		/* bad partial */
	assert_int_equal(name_len(" UID"), 0);
	assert_int_equal(name_len("(UID"), 0);
}

static void quoted(void **state)
{
	(void)state;
	const char *in = "\"a \\\"b\\\\\" tail", *p = in;
	char out[16];
	size_t n = 0;

	assert_true(imap_quoted(&p, in + strlen(in), out, sizeof(out), &n));
	assert_int_equal(n, 5);
	assert_memory_equal(out, "a \"b\\", 5);
	assert_string_equal(p, " tail");
	in = "\"unterminated";
	p = in;
	assert_false(imap_quoted(&p, in + strlen(in), out, sizeof(out), &n));
	in = "\"bad \\x escape\"";
	p = in;
	assert_false(imap_quoted(&p, in + strlen(in), out, sizeof(out), &n));
	in = "\"0123456789abcdefXYZ\"";
	p = in;
	assert_false(imap_quoted(&p, in + strlen(in), out, sizeof(out), &n));	/* over cap */
	assert_ptr_equal(p, in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(literal_ok),
		cmocka_unit_test(literal_hostile),
		cmocka_unit_test(number),
		cmocka_unit_test(item_name),
		cmocka_unit_test(quoted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
