/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

void command_free(char **words)
{
	if (!words)
		return;
	for (char **w = words; *w; w++)
		free(*w);
	free(words);
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* one word from *pp into out (at least as long as the input); false + e */
static bool one_word(const char **pp, char *out, struct roam_error *e)
{
	const char *p = *pp;

	while (*p && !blank(*p)) {
		if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');

			if (!end)
				return roam_error_set(e, "unbalanced ' quote");
			memcpy(out, p + 1, (size_t)(end - p - 1));
			out += end - p - 1;
			p = end + 1;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*out++ = *p;
			}
			if (!*p)
				return roam_error_set(e, "unbalanced \" quote");
			p++;
		} else if (*p == '\\') {
			if (!p[1])
				return roam_error_set(e, "a backslash at the end");
			*out++ = p[1];
			p += 2;
		} else {
			*out++ = *p++;
		}
	}
	*out = '\0';
	*pp = p;
	return true;
}

/* %h, %p and %% only */
static bool check_percents(const char *w, struct roam_error *e)
{
	for (const char *p = strchr(w, '%'); p; p = strchr(p + 2, '%'))
		if (p[1] != 'h' && p[1] != 'p' && p[1] != '%')
			return roam_error_set(e, "`%%%.1s' in `%s': only %%h, %%p and %%%% are known",
					      p[1] ? p + 1 : "", w);
	return true;
}

char **command_split(const char *text, struct roam_error *e)
{
	size_t n = 0, len = strlen(text);
	char **words = calloc(len / 2 + 2, sizeof(*words));	/* a word and a blank each */
	const char *p = text;

	if (!words)
		return roam_error_set(e, "out of memory"), NULL;
	for (;;) {
		while (blank(*p))
			p++;
		if (!*p)
			break;
		if (!(words[n] = malloc(len + 1))) {
			roam_error_set(e, "out of memory");
			goto bad;
		}
		if (!one_word(&p, words[n++], e) || !check_percents(words[n - 1], e))
			goto bad;
	}
	if (!n || !*words[0]) {
		roam_error_set(e, n ? "the command's name is empty" : "no command");
		goto bad;
	}
	return words;
bad:
	command_free(words);
	return NULL;
}

/* w with %h %p %% filled in, malloc'd */
static char *expand_word(const char *w, const char *host, const char *port)
{
	size_t len = 1;
	char *out, *o;

	for (const char *p = w; *p; p++)
		len += *p == '%' ? strlen(host) + strlen(port) : 1;
	if (!(o = out = malloc(len)))
		return NULL;
	for (const char *p = w; *p; p++) {
		const char *put = NULL;

		if (*p == '%' && p[1]) {
			p++;
			put = *p == 'h' ? host : *p == 'p' ? port : "%";
		}
		if (put) {
			strcpy(o, put);
			o += strlen(put);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

char **command_expand(char *const *words, const char *host, int port)
{
	char portbuf[16];
	size_t n = 0;
	char **out;

	snprintf(portbuf, sizeof(portbuf), "%d", port);
	while (words[n])
		n++;
	if (!(out = calloc(n + 1, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = expand_word(words[i], host, portbuf))) {
			command_free(out);
			return NULL;
		}
	return out;
}
