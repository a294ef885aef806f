/* SPDX-License-Identifier: MIT */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* an allow-list, not a deny-list: nothing outside it reaches sendmail's argv */
static bool local_char(char c)
{
	return is_alnum(c) || strchr("._+=-", c) != NULL;
}

static bool domain_ok(const char *d)
{
	if (!is_alnum(*d))
		return false;
	for (; *d; d++)
		if (!is_alnum(*d) && *d != '.' && *d != '-')
			return false;
	return true;
}

bool redirect_target_ok(const char *s)
{
	const char *at;
	size_t len;

	if (!s || !*s || *s == '-')
		return false;
	len = strnlen(s, REDIRECT_TARGET_MAX + 1);
	if (len > REDIRECT_TARGET_MAX)
		return false;
	at = strchr(s, '@');
	for (const char *p = s; p < (at ? at : s + len); p++)
		if (*p == '\0' || !local_char(*p))
			return false;
	if (at == s)
		return false;
	return !at || domain_ok(at + 1);
}

static const char *take(char *buf, size_t len, const char *s)
{
	if (!redirect_target_ok(s) || strlen(s) >= len)
		return NULL;
	return memcpy(buf, s, strlen(s) + 1);
}

/* The running user's name through NSS, as every other tool sees it (LDAP and
 * sssd users too). Only reached when $LOGNAME is unusable, which procmail
 * never leaves it. */
static const char *passwd_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	return pw ? take(buf, len, pw->pw_name) : NULL;
}

const char *redirect_default_away(char *buf, size_t len, const char **what)
{
	*what = "$LOGNAME";
	if (take(buf, len, getenv("LOGNAME")))
		return buf;
	*what = "the running user's name";
	if (passwd_name(getuid(), buf, len))
		return buf;
	*what = "the last resort";
	return take(buf, len, REDIRECT_LAST_RESORT);
}
