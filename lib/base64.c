/* SPDX-License-Identifier: MIT */
#include "base64.h"

static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void roam_base64_encode(const unsigned char *d, size_t len, bool pad, char *out)
{
	size_t i = 0;

	for (; i + 2 < len; i += 3) {
		*out++ = abc[d[i] >> 2];
		*out++ = abc[(d[i] & 3) << 4 | d[i + 1] >> 4];
		*out++ = abc[(d[i + 1] & 15) << 2 | d[i + 2] >> 6];
		*out++ = abc[d[i + 2] & 63];
	}
	if (len - i == 1) {
		*out++ = abc[d[i] >> 2];
		*out++ = abc[(d[i] & 3) << 4];
		if (pad)
			*out++ = '=', *out++ = '=';
	} else if (len - i == 2) {
		*out++ = abc[d[i] >> 2];
		*out++ = abc[(d[i] & 3) << 4 | d[i + 1] >> 4];
		*out++ = abc[(d[i + 1] & 15) << 2];
		if (pad)
			*out++ = '=';
	}
	*out = '\0';
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

ssize_t roam_base64_decode(const char *s, size_t slen, unsigned char *out, size_t cap)
{
	unsigned acc = 0, bits = 0;
	size_t n = 0;

	/* at most two '=', only at the end, and only to fill a group of four */
	if (slen % 4 == 0 && slen && s[slen - 1] == '=')
		slen -= s[slen - 2] == '=' ? 2 : 1;
	if (slen % 4 == 1)
		return -1;
	for (size_t i = 0; i < slen; i++) {
		int v = value_of(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* the leftover bits of the last character must be zero (canonical) */
	if (acc & ((1u << bits) - 1))
		return -1;
	return (ssize_t)n;
}
