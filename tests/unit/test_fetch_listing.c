/* SPDX-License-Identifier: MIT */
/* fetch/listing: strict numbers, UIDLs escaped (never refused for their bytes),
 * sizes; fetch/dups: shared UIDLs found, keys ranked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../fetch/dups.h"
#include "../../fetch/listing.h"

#define ADD(l, lit) listing_add_uidl((l), (lit), sizeof(lit) - 1)
#define SIZE(l, lit) listing_add_size((l), (lit), sizeof(lit) - 1)

static void numbers_are_digits_only(void **s)
{
	struct mailbox_listing l = { 0 };

	(void)s;
	assert_false(ADD(&l, "-5 abc"));
	assert_false(ADD(&l, "+5 abc"));
	assert_false(ADD(&l, " 5 abc"));
	assert_false(ADD(&l, "0 abc"));
	assert_false(ADD(&l, "5"));
	assert_false(ADD(&l, "5 "));
	assert_false(ADD(&l, "99999999999999999999999 abc"));	/* overflows */
	assert_int_equal(l.n, 0);
	assert_true(ADD(&l, "5 abc"));
	assert_false(ADD(&l, "5 again"));	/* numbers rise */
	assert_false(ADD(&l, "4 lower"));
	assert_true(ADD(&l, "7 def"));
	assert_int_equal(l.n, 2);
	assert_int_equal(l.msgs[0].num, 5);
	assert_string_equal(l.msgs[1].uidl, "def");
	assert_false(l.msgs[1].escaped);
	listing_free(&l);
}

static void odd_bytes_are_escaped(void **s)
{
	struct mailbox_listing l = { 0 };
	char long_uidl[2 + 71 + 1];

	(void)s;
	assert_true(ADD(&l, "1 a\xff\xfe" "b"));
	assert_true(ADD(&l, "2 has space"));
	assert_true(ADD(&l, "3 nul\0x"));
	assert_true(ADD(&l, "4 100%"));
	assert_true(ADD(&l, "5 tab\there\x7f"));
	assert_int_equal(l.n, 5);
	assert_string_equal(l.msgs[0].uidl, "a%FF%FEb");
	assert_string_equal(l.msgs[1].uidl, "has%20space");
	assert_string_equal(l.msgs[2].uidl, "nul%00x");
	assert_string_equal(l.msgs[3].uidl, "100%25");	/* never mistaken for an escape */
	assert_string_equal(l.msgs[4].uidl, "tab%09here%7F");
	assert_true(l.msgs[0].escaped);
	assert_false(l.msgs[3].escaped);	/* '%' is in range: escaped, but not odd */
	/* RFC 1939's 70 octets count on the wire */
	memcpy(long_uidl, "6 ", 2);
	memset(long_uidl + 2, '\xff', 71);
	assert_false(listing_add_uidl(&l, long_uidl, 2 + 71));
	assert_true(listing_add_uidl(&l, long_uidl, 2 + 70));
	assert_int_equal(strlen(l.msgs[5].uidl), 210);
	assert_true(LISTING_KEY_MAX >= 210);
	listing_free(&l);
}

static void sizes(void **s)
{
	struct mailbox_listing l = { 0 };

	(void)s;
	assert_true(ADD(&l, "1 a"));
	assert_true(SIZE(&l, "1 1234"));
	assert_true(SIZE(&l, "9 5"));	/* not listed by UIDL: ignored */
	assert_false(SIZE(&l, "1 -5"));
	assert_false(SIZE(&l, "1 5 extra"));
	assert_false(SIZE(&l, "1 "));
	assert_false(SIZE(&l, "-1 5"));
	assert_int_equal(l.msgs[0].size, 1234);
	listing_free(&l);
}

static void shown_keeps_spaces(void **s)
{
	char out[64];

	(void)s;
	listing_show("-5 c\x1b[2J", 8, out);
	assert_string_equal(out, "-5 c%1B[2J");
}

static void shared_uidls_get_ranked_keys(void **s)
{
	struct mailbox_listing l = { 0 };
	struct dups *d;
	const char *k1, *k3, *k4;

	(void)s;
	assert_true(ADD(&l, "1 x"));
	assert_true(ADD(&l, "2 y"));
	assert_true(ADD(&l, "3 x"));
	assert_true(ADD(&l, "4 x"));
	assert_true(dups_find(&l, &d));
	assert_non_null(d);
	assert_int_equal(dups_count(d), 3);
	assert_true(dups_has(d, 0));
	assert_false(dups_has(d, 1));
	assert_true(dups_has(d, 2));
	k1 = dups_key(d, 0, 0x1234, 10);
	k3 = dups_key(d, 2, 0x5678, 10);
	k4 = dups_key(d, 3, 0x1234, 10);	/* the same body as message 1 */
	assert_string_equal(k1, "x 0000000000001234.10 0");
	assert_string_equal(k3, "x 0000000000005678.10 0");
	assert_string_equal(k4, "x 0000000000001234.10 1");
	assert_ptr_equal(dups_key_of(d, 3), k4);
	assert_null(dups_key_of(d, 1));
	dups_free(d);
	listing_free(&l);

	assert_true(ADD(&l, "1 x"));
	assert_true(ADD(&l, "2 y"));
	assert_true(dups_find(&l, &d));
	assert_null(d);		/* nothing shared */
	assert_false(dups_has(d, 0));
	listing_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(numbers_are_digits_only),
		cmocka_unit_test(odd_bytes_are_escaped),
		cmocka_unit_test(sizes),
		cmocka_unit_test(shown_keeps_spaces),
		cmocka_unit_test(shared_uidls_get_ranked_keys),
	};

	return cmocka_run_group_tests_name("fetch_listing", tests, NULL, NULL);
}
