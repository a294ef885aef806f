/* SPDX-License-Identifier: MIT */
/* fetch/command: ssh_command split into words without a shell, %h %p %% filled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../fetch/command.h"

/* the words joined with '|', for one comparison per case */
static void joined(char *const *w, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; w[i]; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "|" : "", w[i]);
}

static void test_split(void **s)
{
	static const char *const cases[][2] = {
		{ "ssh -W %h:%p mailgw", "ssh|-W|%h:%p|mailgw" },
		{ "  ssh\t-W  %h:%p   mailgw  ", "ssh|-W|%h:%p|mailgw" },
		{ "ssh -o 'ProxyCommand=nc -X 5 %%h %%p' gw", "ssh|-o|ProxyCommand=nc -X 5 %%h %%p|gw" },
		{ "a \"b \\\"c\\\" \\\\ \\n\" d", "a|b \"c\" \\ \\n|d" },
		{ "a\\ b c\\'d", "a b|c'd" },
		{ "x '' y", "x||y" },
		{ "sh -c 'echo $HOME; ls | wc' >x", "sh|-c|echo $HOME; ls | wc|>x" },
		{ "ab'cd'\"ef\"g", "abcdefg" },
	};
	char got[256];

	(void)s;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct roam_error e = { "" };
		char **w = command_split(cases[i][0], &e);

		assert_non_null(w);
		joined(w, got, sizeof(got));
		assert_string_equal(got, cases[i][1]);
		command_free(w);
	}
}

static void test_bad(void **s)
{
	static const char *const cases[][2] = {
		{ "", "no command" },
		{ "  \t ", "no command" },
		{ "ssh -W 'x", "unbalanced ' quote" },
		{ "ssh \"x", "unbalanced \" quote" },
		{ "ssh x\\", "a backslash at the end" },
		{ "'' x", "the command's name is empty" },
		{ "ssh -W %h:%q", "`%q' in `%h:%q': only %h, %p and %% are known" },
		{ "ssh 5%", "`%' in `5%': only %h, %p and %% are known" },
	};

	(void)s;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct roam_error e = { "" };

		assert_null(command_split(cases[i][0], &e));
		assert_string_equal(e.msg, cases[i][1]);
	}
}

static void test_expand(void **s)
{
	struct roam_error e = { "" };
	char **w = command_split("ssh -W %h:%p '100%%' %%h%h%%", &e);
	char **x;
	char got[256];

	(void)s;
	assert_non_null(w);
	x = command_expand(w, "198.51.100.152", 110);
	assert_non_null(x);
	joined(x, got, sizeof(got));
	assert_string_equal(got, "ssh|-W|198.51.100.152:110|100%|%h198.51.100.152%");
	command_free(x);
	/* a host that holds a blank or a % stays one word, taken as it is */
	x = command_expand(w, "a b%p", 1);
	joined(x, got, sizeof(got));
	assert_string_equal(got, "ssh|-W|a b%p:1|100%|%ha b%p%");
	command_free(x);
	command_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_expand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
