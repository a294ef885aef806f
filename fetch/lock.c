/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "trust.h"

enum { ACCOUNT_SHOWN_MAX = 64 };

/* FNV-1a: not for secrecy, only so that accounts whose sanitized forms collide
 * ("a b" and "a_b") still get different files */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static bool safe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '@' || c == '.' || c == '_' || c == '-';
}

static bool account_file_name(const char *account, const char *suffix, char *name,
			      size_t size, struct roam_error *e)
{
	char shown[ACCOUNT_SHOWN_MAX + 1];
	size_t i;

	for (i = 0; account[i] && i < ACCOUNT_SHOWN_MAX; i++)
		shown[i] = safe_char(account[i]) ? account[i] : '_';
	shown[i] = '\0';
	/* a leading dot would hide the file and ".." would be a trap */
	if (shown[0] == '.')
		shown[0] = '_';
	if (snprintf(name, size, "%s-%016llx%s", shown, (unsigned long long)fnv1a(account),
		     suffix) >= (int)size)
		return roam_error_set(e, "state file name for '%s' too long", account);
	return true;
}

/* The state decides which messages get deleted: a state_dir that someone
 * else controls (pre-created in a shared place, or writable by others) could
 * hold a planted UIDL record, so it is opened only through a checked chain
 * (lib/trust.h), mkdir -p 0700 of what is missing. */
int fetch_state_dir(const char *state_dir, const char *account, const char *suffix,
		    char *name, size_t size, struct roam_error *e)
{
	struct roam_error why = { "" };
	int fd;

	if (!account_file_name(account, suffix, name, size, e))
		return -1;
	fd = roam_dir_open_trusted(state_dir, 0700, &why);
	if (fd < 0)
		roam_error_set(e, "state directory: %s", why.msg);
	return fd;
}

int fetch_lock(const char *state_dir, const char *account, bool *busy, struct roam_error *e)
{
	char name[256], pid[32];
	int dirfd, fd;

	*busy = false;
	dirfd = fetch_state_dir(state_dir, account, ".lock", name, sizeof(name), e);
	if (dirfd < 0)
		return -1;
	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	close(dirfd);
	if (fd < 0) {
		roam_error_set(e, "cannot open lock file '%s/%s': %s", state_dir, name,
			       strerror(errno));
		return -1;
	}
	/* flock, not fcntl: it belongs to the open file, so it is released
	 * exactly when the process dies, whatever else it closed */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		*busy = errno == EWOULDBLOCK;
		if (*busy)
			roam_error_set(e, "another roam-fetch holds the lock of %s (%s/%s)",
				       account, state_dir, name);
		else
			roam_error_set(e, "cannot lock %s (%s/%s): %s", account, state_dir,
				       name, strerror(errno));
		close(fd);
		return -1;
	}
	/* the holder's pid, for whoever wonders who holds it; the lock is the
	 * flock, not the content, so a failure here does not matter */
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n)
		(void)0;
	return fd;
}
