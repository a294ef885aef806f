/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "testdir.h"

char test_dir[sizeof(TEST_DIR_TEMPLATE)] = TEST_DIR_TEMPLATE;

int testdir_setup(void **state)
{
	(void)state;
	return mkdtemp(test_dir) ? 0 : -1;
}

int testdir_teardown(void **state)
{
	char cmd[sizeof(test_dir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	return system(cmd);
}

char *test_path(const char *name)
{
	static char p[2][sizeof(test_dir) + 512];
	static int i;

	i = !i;
	snprintf(p[i], sizeof(p[i]), "%s/%s", test_dir, name);
	return p[i];
}

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}
