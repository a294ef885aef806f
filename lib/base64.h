/* SPDX-License-Identifier: MIT */
/* base64.h — RFC 4648 base64: ssh key blobs, fingerprints, WireGuard keys. */
#ifndef ROAM_BASE64_H
#define ROAM_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* the encoded length of n bytes, padded, without the NUL */
#define ROAM_BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/* Encodes len bytes into out (ROAM_BASE64_LEN(len) + 1 bytes), NUL-ended;
 * pad false drops the trailing '=' as OpenSSH's fingerprints do. */
void roam_base64_encode(const unsigned char *d, size_t len, bool pad, char *out);

/* Decodes exactly slen characters of s (padding optional, nothing else
 * allowed: no blanks, no line breaks) into at most cap bytes; the byte
 * count, or -1 when s is not base64 or does not fit. */
ssize_t roam_base64_decode(const char *s, size_t slen, unsigned char *out, size_t cap);

#endif
