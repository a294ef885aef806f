/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "hostkey.h"

struct hostkey_db {
	LIBSSH2_KNOWNHOSTS *kh;
	LIBSSH2_KNOWNHOSTS *revoked;	/* @revoked keys, all under REVOKED_NAME */
};

/* @revoked lines go to their own list with this as their only host name, so
 * that libssh2 compares the keys (whatever their host patterns: "*" is the
 * usual one, and libssh2 knows no wildcards) */
#define REVOKED_NAME "roam-fetch.revoked"

/* libssh2's session key types, their known_hosts mask and algorithm name, in
 * the order we prefer them */
static const struct {
	int type;
	int mask;
	const char *name;
} key_types[] = {
	{ LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521" },
	{ LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "ssh-rsa" },
	{ LIBSSH2_HOSTKEY_TYPE_DSS, LIBSSH2_KNOWNHOST_KEY_SSHDSS, "ssh-dss" },
};
enum { N_KEY_TYPES = sizeof(key_types) / sizeof(key_types[0]) };

const char *hostkey_type_name(int type)
{
	for (size_t i = 0; i < N_KEY_TYPES; i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return "unknown";
}

static int type_mask(int type)
{
	for (size_t i = 0; i < N_KEY_TYPES; i++)
		if (key_types[i].type == type)
			return key_types[i].mask;
	return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

/* "@revoked HOSTS TYPE KEY [COMMENT]": the key, under REVOKED_NAME */
static bool read_revoked(struct hostkey_db *db, const char *line)
{
	const char *p = line + strspn(line, " \t") + 8;
	char *entry;
	bool ok;

	if (*p != ' ' && *p != '\t')
		return false;
	p += strspn(p, " \t");
	p += strcspn(p, " \t");	/* the host patterns */
	if (asprintf(&entry, "%s%s", REVOKED_NAME, p) < 0)
		return false;
	ok = libssh2_knownhost_readline(db->revoked, entry, strlen(entry),
					LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0;
	free(entry);
	return ok;
}

/* libssh2_knownhost_readfile stops at the first line it cannot parse, which
 * would make one certificate-authority line hide every key after it; we hand
 * it the file line by line and skip what it refuses. */
struct hostkey_db *hostkey_load(LIBSSH2_SESSION *s, const char *path, unsigned *skipped,
				struct roam_error *e)
{
	struct hostkey_db *db = calloc(1, sizeof(*db));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	*skipped = 0;
	if (!db || !(db->kh = libssh2_knownhost_init(s)) ||
	    !(db->revoked = libssh2_knownhost_init(s))) {
		if (db && db->kh)
			libssh2_knownhost_free(db->kh);
		free(db);
		roam_error_set(e, "out of memory");
		return NULL;
	}
	if (!(f = fopen(path, "re"))) {
		if (errno == ENOENT)
			return db;
		roam_error_set(e, "%s: %s", path, strerror(errno));
		hostkey_free(db);
		return NULL;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (!strncmp(line + strspn(line, " \t"), "@revoked", 8)) {
			if (!read_revoked(db, line))
				(*skipped)++;
		} else if (libssh2_knownhost_readline(db->kh, line, (size_t)n,
						      LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
			(*skipped)++;
		}
	}
	free(line);
	fclose(f);
	return db;
}

void hostkey_free(struct hostkey_db *db)
{
	if (!db)
		return;
	if (db->kh)
		libssh2_knownhost_free(db->kh);
	if (db->revoked)
		libssh2_knownhost_free(db->revoked);
	free(db);
}

/* Given a port, libssh2 tries "[host]:port", then plain "host"; given
 * "[host]:port" as the name and no port, that form alone (plain or hashed). */
static enum hostkey_verdict check_mask(LIBSSH2_KNOWNHOSTS *kh, const char *host, int port,
				       const char *key, size_t len, int mask)
{
	char name[300];
	int rc;

	if (port != 22 && snprintf(name, sizeof(name), "[%s]:%d", host, port) < (int)sizeof(name))
		host = name;
	else if (port != 22)
		return HOSTKEY_FAILURE;
	rc = libssh2_knownhost_checkp(kh, host, -1, key, len,
				      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
					      mask, NULL);

	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:	return HOSTKEY_MATCH;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:	return HOSTKEY_CHANGED;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:	return HOSTKEY_UNKNOWN;
	default:				return HOSTKEY_FAILURE;
	}
}

enum hostkey_verdict hostkey_check(struct hostkey_db *db, const char *host, int port,
				   const char *key, size_t len, int type)
{
	int mask = type_mask(type);

	if (mask == LIBSSH2_KNOWNHOST_KEY_UNKNOWN || !len)
		return HOSTKEY_FAILURE;
	if (check_mask(db->revoked, REVOKED_NAME, 22, key, len, mask) == HOSTKEY_MATCH)
		return HOSTKEY_REVOKED;
	return check_mask(db->kh, host, port, key, len, mask);
}

/* A type is listed for the host when a key that cannot be right (one zero
 * byte) is reported as changed rather than unknown: libssh2 only compares keys
 * of the same type. */
void hostkey_known_algorithms(struct hostkey_db *db, const char *host, int port,
			      char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_KEY_TYPES; i++) {
		if (check_mask(db->kh, host, port, "", 1, key_types[i].mask) != HOSTKEY_CHANGED)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "",
				 key_types[i].name);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			return;
		}
		used += (size_t)n;
	}
}

bool hostkey_verify(LIBSSH2_SESSION *s, struct hostkey_db *db, const char *path,
		    const char *host, int port, struct roam_error *e)
{
	const unsigned char *hash;
	char fp[64], b64[48];
	const char *key, *name;
	size_t len;
	int type;

	if (!(key = libssh2_session_hostkey(s, &len, &type)))
		return roam_error_set(e, "%s: the server sent no host key", host);
	name = hostkey_type_name(type);
	hash = (const unsigned char *)libssh2_hostkey_hash(s, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (hash) {
		roam_base64_encode(hash, 32, false, b64);
		snprintf(fp, sizeof(fp), "SHA256:%s", b64);
	} else {
		snprintf(fp, sizeof(fp), "(no SHA256 fingerprint)");
	}
	switch (hostkey_check(db, host, port, key, len, type)) {
	case HOSTKEY_MATCH:
		return true;
	case HOSTKEY_CHANGED:
		return roam_error_set(e, "host key for %s port %d has CHANGED: the server offers "
				      "%s %s, %s lists another %s key; refusing (someone may be "
				      "intercepting the connection)", host, port, name, fp, path, name);
	case HOSTKEY_REVOKED:
		return roam_error_set(e, "host key for %s port %d is REVOKED: the server offers "
				      "%s %s, which %s marks @revoked; refusing", host, port, name,
				      fp, path);
	case HOSTKEY_UNKNOWN:
		return roam_error_set(e, "host %s port %d is not in %s: the server offers %s %s; "
				      "refusing (check the fingerprint, then add the key, e.g. by "
				      "connecting once with ssh)", host, port, path, name, fp);
	default:
		return roam_error_set(e, "cannot check the %s host key %s of %s against %s",
				      name, fp, host, path);
	}
}
