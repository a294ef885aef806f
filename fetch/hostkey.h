/* SPDX-License-Identifier: MIT */
/*
 * hostkey.h — the ssh server's host key against an OpenSSH known_hosts file.
 *
 * libssh2 does the parsing and matching (plain, hashed |1| and [host]:port
 * entries); this module adds what OpenSSH users expect around it: a port
 * other than 22 matches "[host]:port" entries only (libssh2 would fall back to
 * plain "host" ones, OpenSSH never does), a key on an @revoked line is
 * refused for every host (stricter than OpenSSH, which also matches the
 * line's host patterns: a revoked key is never one to trust), lines
 * libssh2 cannot parse (@cert-authority, sk-* keys) are skipped instead of
 * failing the whole file, the host key algorithms offered in the handshake are
 * restricted to the types known_hosts lists for the host (else a server with
 * ecdsa and ed25519 keys could present the one we do not know), and a refusal
 * names the key type and its SHA256 fingerprint as ssh-keygen -l prints it.
 */
#ifndef ROAM_FETCH_HOSTKEY_H
#define ROAM_FETCH_HOSTKEY_H

#include <libssh2.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum hostkey_verdict {
	HOSTKEY_MATCH,		/* listed with this very key */
	HOSTKEY_UNKNOWN,	/* host (with this key type) not listed */
	HOSTKEY_CHANGED,	/* listed with another key of this type */
	HOSTKEY_REVOKED,	/* on an @revoked line */
	HOSTKEY_FAILURE,	/* could not check */
};

struct hostkey_db;

/* Reads known_hosts; a missing file is an empty list. *skipped counts the
 * lines libssh2 could not parse. NULL + e on other errors. */
struct hostkey_db *hostkey_load(LIBSSH2_SESSION *s, const char *path, unsigned *skipped,
				struct roam_error *e);
void hostkey_free(struct hostkey_db *db);

/* The check itself: key is the raw blob, type a LIBSSH2_HOSTKEY_TYPE_*. Port 22
 * matches plain "host" entries only, another port "[host]:port" entries only
 * (as OpenSSH writes and reads them). A revoked key is HOSTKEY_REVOKED
 * whatever else lists it. */
enum hostkey_verdict hostkey_check(struct hostkey_db *db, const char *host, int port,
				   const char *key, size_t len, int type);

/* "ssh-ed25519,ecdsa-sha2-nistp256": the algorithms known_hosts lists for
 * host:port, in our order of preference; "" when none. */
void hostkey_known_algorithms(struct hostkey_db *db, const char *host, int port,
			      char *buf, size_t len);

/* "ssh-ed25519", "ecdsa-sha2-nistp256", …, "unknown" */
const char *hostkey_type_name(int type);

/* The connected session's key against the file: true when it matches; else
 * false and a message naming host, key type, fingerprint and file. */
bool hostkey_verify(LIBSSH2_SESSION *s, struct hostkey_db *db, const char *path,
		    const char *host, int port, struct roam_error *e);

#endif
