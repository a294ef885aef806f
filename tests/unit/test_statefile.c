/* SPDX-License-Identifier: MIT */
/* lib/statefile: atomic replacement, modes, no leftovers, bounded reads. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "statefile.h"
#include "testdir.h"



static size_t count_entries(void)
{
	DIR *d = opendir(test_dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void write_replaces_with_mode(void **state)
{
	struct roam_error e;
	struct stat st;
	char buf[64];

	(void)state;
	assert_true(roam_atomic_write(test_path("s"), "old\n", 4, 0644, &e));
	assert_true(roam_atomic_write(test_path("s"), "new line\n", 9, 0644, &e));
	assert_int_equal(roam_read_small(test_path("s"), buf, sizeof(buf)), 9);
	assert_string_equal(buf, "new line\n");
	assert_int_equal(stat(test_path("s"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(), 1);	/* no temporary file left */
	assert_true(roam_atomic_write(test_path("s"), "", 0, 0600, &e));
	assert_int_equal(roam_read_small(test_path("s"), buf, sizeof(buf)), 0);
	assert_int_equal(stat(test_path("s"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void failed_write_leaves_nothing(void **state)
{
	struct roam_error e = { "" };
	char gone[sizeof(test_dir) + 8];
	int dfd;

	(void)state;
	/* a directory that vanished under an open handle: the temp file cannot be made */
	snprintf(gone, sizeof(gone), "%s/gone", test_dir);
	assert_int_equal(mkdir(gone, 0700), 0);
	dfd = open(gone, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(rmdir(gone), 0);
	assert_false(roam_atomic_write_at(dfd, "x", "data", 4, 0644, &e));
	assert_non_null(strstr(e.msg, "cannot create a temporary file for 'x'"));
	close(dfd);
	/* a missing directory: the message names the whole path */
	assert_false(roam_atomic_write(test_path("nodir/x"), "data", 4, 0644, &e));
	assert_non_null(strstr(e.msg, test_path("nodir/x")));
	/* a name too long for the temporary file */
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(roam_atomic_write(test_path(longname), "data", 4, 0644, &e));
	assert_int_equal(count_entries(), 1);
}

static void write_refuses_directory_target(void **state)
{
	struct roam_error e = { "" };
	char buf[8];

	(void)state;
	assert_int_equal(mkdir(test_path("adir"), 0700), 0);
	assert_false(roam_atomic_write(test_path("adir"), "x", 1, 0644, &e));
	assert_non_null(strstr(e.msg, "cannot write"));
	assert_int_equal(roam_read_small(test_path("adir"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(rmdir(test_path("adir")), 0);
	assert_int_equal(count_entries(), 1);
}

static void read_is_bounded(void **state)
{
	struct roam_error e;
	char *big = malloc(10 << 20), buf[128];

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 10 << 20);
	assert_true(roam_atomic_write(test_path("big"), big, 10 << 20, 0644, &e));
	free(big);
	assert_int_equal(roam_read_small(test_path("big"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, EFBIG);
	/* exactly cap - 1 bytes fit, cap bytes do not */
	assert_true(roam_atomic_write(test_path("big"), "0123456789", 10, 0644, &e));
	assert_int_equal(roam_read_small(test_path("big"), buf, 11), 10);
	assert_int_equal(roam_read_small(test_path("big"), buf, 10), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(roam_read_small(test_path("missing"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(roam_atomic_write(test_path("nul"), "v1\0alive", 8, 0644, &e));
	assert_int_equal(roam_read_small(test_path("nul"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
	unlink(test_path("big"));
	unlink(test_path("nul"));
}

/* a writer replacing the file as fast as it can, a reader that must only ever
 * see one of the two whole contents */
static void readers_never_see_a_torn_file(void **state)
{
	static const char a[] = "v1 alive 1700000000 1700000100 420 icmp\n";
	static const char b[] = "v1 dead 1700000200 1700000300 0 dgram\n";
	struct roam_error e;
	char buf[256];
	pid_t pid;
	int status;

	(void)state;
	assert_true(roam_atomic_write(test_path("t"), a, strlen(a), 0644, &e));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 2000; i++)
			if (!roam_atomic_write(test_path("t"), i % 2 ? a : b, strlen(i % 2 ? a : b),
					       0644, &e))
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < 5000; i++) {
		ssize_t n = roam_read_small(test_path("t"), buf, sizeof(buf));

		assert_true(n > 0);
		assert_true(!strcmp(buf, a) || !strcmp(buf, b));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(count_entries(), 2);	/* t and s: no temporary files */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_replaces_with_mode),
		cmocka_unit_test(failed_write_leaves_nothing),
		cmocka_unit_test(write_refuses_directory_target),
		cmocka_unit_test(read_is_bounded),
		cmocka_unit_test(readers_never_see_a_torn_file),
	};

	return cmocka_run_group_tests_name("statefile", tests, testdir_setup, testdir_teardown);
}
