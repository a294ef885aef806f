/* SPDX-License-Identifier: MIT */
/*
 * testdir.h — for unit tests that work on real files: one temporary directory
 * per test program, paths inside it and whole-file reads.
 */
#ifndef ROAM_TESTDIR_H
#define ROAM_TESTDIR_H

#include <stddef.h>

#define TEST_DIR_TEMPLATE "/tmp/roam-test.XXXXXX"
extern char test_dir[sizeof(TEST_DIR_TEMPLATE)];

/* cmocka group setup and teardown: mkdtemp, then rm -rf */
int testdir_setup(void **state);
int testdir_teardown(void **state);

/* test_dir/name; two static buffers take turns, so two may be used at once */
char *test_path(const char *name);

/* the whole file, NUL-terminated (fails the test when it cannot be read); *len
 * its length when len is not NULL */
char *test_slurp(const char *path, size_t *len);

#endif
