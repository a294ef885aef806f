/* SPDX-License-Identifier: MIT */
/* sha256.h — FIPS 180-4 SHA-256, for ssh key fingerprints (no crypto library
 * in the tools that need one). Not for secrets: nothing here is constant-time. */
#ifndef ROAM_SHA256_H
#define ROAM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define ROAM_SHA256_LEN 32

void roam_sha256(const void *data, size_t len, unsigned char out[ROAM_SHA256_LEN]);

#endif
