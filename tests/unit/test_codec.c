/* SPDX-License-Identifier: MIT */
/* lib/base64 and lib/sha256: the RFC 4648 and FIPS 180-4 test vectors, and
 * strict decoding (what a config's key or sshd's auth info must be). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"
#include "sha256.h"

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void assert_sha256(const void *data, size_t len, const char *want)
{
	unsigned char h[ROAM_SHA256_LEN];
	char got[2 * ROAM_SHA256_LEN + 1];

	roam_sha256(data, len, h);
	hex(h, sizeof(h), got);
	assert_string_equal(got, want);
}

static void sha256_vectors(void **state)
{
	char *million = malloc(1000000);

	(void)state;
	assert_sha256(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
		      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	assert_sha256(million, 1000000,
		      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void base64_vectors(void **state)
{
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					   "Zm9vYmFy" };
	unsigned char buf[16];
	char out[16];

	(void)state;
	for (size_t n = 0; n <= 6; n++) {
		roam_base64_encode((const unsigned char *)"foobar", n, true, out);
		assert_string_equal(out, enc[n]);
		assert_int_equal(roam_base64_decode(enc[n], strlen(enc[n]), buf, sizeof(buf)), n);
		assert_memory_equal(buf, "foobar", n);
	}
	roam_base64_encode((const unsigned char *)"fo", 2, false, out);
	assert_string_equal(out, "Zm8");
	assert_int_equal(roam_base64_decode("Zm8", 3, buf, sizeof(buf)), 2);
}

static void base64_is_strict(void **state)
{
	unsigned char buf[4];

	(void)state;
	assert_int_equal(roam_base64_decode("Zm9v YmFy", 9, buf, sizeof(buf)), -1);
	assert_int_equal(roam_base64_decode("Zm9", 3, buf, 1), -1);	/* does not fit */
	assert_int_equal(roam_base64_decode("Z", 1, buf, sizeof(buf)), -1);
	assert_int_equal(roam_base64_decode("Zm9=", 4, buf, sizeof(buf)), -1);	/* leftover bits */
	assert_int_equal(roam_base64_decode("Zg=a", 4, buf, sizeof(buf)), -1);
	assert_int_equal(roam_base64_decode("=Zg=", 4, buf, sizeof(buf)), -1);
	assert_int_equal(roam_base64_decode("Zm9v-A==", 8, buf, sizeof(buf)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_vectors),
		cmocka_unit_test(base64_vectors),
		cmocka_unit_test(base64_is_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
