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

static char dir[] = "/tmp/roam-test-state.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[sizeof(dir) + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *in_dir(const char *name)
{
	static char p[sizeof(dir) + 512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static size_t count_entries(void)
{
	DIR *d = opendir(dir);
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
	assert_true(roam_atomic_write(in_dir("s"), "old\n", 4, 0644, &e));
	assert_true(roam_atomic_write(in_dir("s"), "new line\n", 9, 0644, &e));
	assert_int_equal(roam_read_small(in_dir("s"), buf, sizeof(buf)), 9);
	assert_string_equal(buf, "new line\n");
	assert_int_equal(stat(in_dir("s"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(count_entries(), 1);	/* no temporary file left */
	assert_true(roam_atomic_write(in_dir("s"), "", 0, 0600, &e));
	assert_int_equal(roam_read_small(in_dir("s"), buf, sizeof(buf)), 0);
	assert_int_equal(stat(in_dir("s"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void failed_write_leaves_nothing(void **state)
{
	struct roam_error e = { "" };
	char gone[sizeof(dir) + 8];
	int dfd;

	(void)state;
	/* a directory that vanished under an open handle: the temp file cannot be made */
	snprintf(gone, sizeof(gone), "%s/gone", dir);
	assert_int_equal(mkdir(gone, 0700), 0);
	dfd = open(gone, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(rmdir(gone), 0);
	assert_false(roam_atomic_write_at(dfd, "x", "data", 4, 0644, &e));
	assert_non_null(strstr(e.msg, "cannot create a temporary file for 'x'"));
	close(dfd);
	/* a missing directory: the message names the whole path */
	assert_false(roam_atomic_write(in_dir("nodir/x"), "data", 4, 0644, &e));
	assert_non_null(strstr(e.msg, in_dir("nodir/x")));
	/* a name too long for the temporary file */
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(roam_atomic_write(in_dir(longname), "data", 4, 0644, &e));
	assert_int_equal(count_entries(), 1);
}

static void write_refuses_directory_target(void **state)
{
	struct roam_error e = { "" };
	char buf[8];

	(void)state;
	assert_int_equal(mkdir(in_dir("adir"), 0700), 0);
	assert_false(roam_atomic_write(in_dir("adir"), "x", 1, 0644, &e));
	assert_non_null(strstr(e.msg, "cannot write"));
	assert_int_equal(roam_read_small(in_dir("adir"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(rmdir(in_dir("adir")), 0);
	assert_int_equal(count_entries(), 1);
}

static void read_is_bounded(void **state)
{
	struct roam_error e;
	char *big = malloc(10 << 20), buf[128];

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 10 << 20);
	assert_true(roam_atomic_write(in_dir("big"), big, 10 << 20, 0644, &e));
	free(big);
	assert_int_equal(roam_read_small(in_dir("big"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, EFBIG);
	/* exactly cap - 1 bytes fit, cap bytes do not */
	assert_true(roam_atomic_write(in_dir("big"), "0123456789", 10, 0644, &e));
	assert_int_equal(roam_read_small(in_dir("big"), buf, 11), 10);
	assert_int_equal(roam_read_small(in_dir("big"), buf, 10), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(roam_read_small(in_dir("missing"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(roam_atomic_write(in_dir("nul"), "v1\0alive", 8, 0644, &e));
	assert_int_equal(roam_read_small(in_dir("nul"), buf, sizeof(buf)), -1);
	assert_int_equal(errno, EINVAL);
	unlink(in_dir("big"));
	unlink(in_dir("nul"));
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
	assert_true(roam_atomic_write(in_dir("t"), a, strlen(a), 0644, &e));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 2000; i++)
			if (!roam_atomic_write(in_dir("t"), i % 2 ? a : b, strlen(i % 2 ? a : b),
					       0644, &e))
				_exit(1);
		_exit(0);
	}
	for (int i = 0; i < 5000; i++) {
		ssize_t n = roam_read_small(in_dir("t"), buf, sizeof(buf));

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

	return cmocka_run_group_tests_name("statefile", tests, setup, teardown);
}
