/* SPDX-License-Identifier: MIT */
/* lib/trust: the StrictModes-like walk — owners, modes, sticky, delegation. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testdir.h"
#include "trust.h"

#define NOBODY 65534

static void put(const char *name, mode_t mode)
{
	int fd = open(test_path(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(chmod(test_path(name), mode), 0);
}

static void dir(const char *name, mode_t mode)
{
	assert_true(mkdir(test_path(name), 0700) == 0 || errno == EEXIST);
	assert_int_equal(chmod(test_path(name), mode), 0);
}

/* refused, errno EPERM, and the message says why */
static void assert_refused(const char *name, unsigned flags, const char *why)
{
	struct roam_error e = { "" };

	assert_int_equal(roam_open_trusted_flags(test_path(name), O_RDONLY, flags, &e), -1);
	assert_int_equal(errno, EPERM);
	if (!strstr(e.msg, why))
		fail_msg("'%s' does not say '%s'", e.msg, why);
}

static void assert_opens(const char *name, unsigned flags)
{
	struct roam_error e = { "" };
	int fd = roam_open_trusted_flags(test_path(name), O_RDONLY, flags, &e);

	if (fd < 0)
		fail_msg("%s refused: %s", name, e.msg);
	close(fd);
}

static void own_private_file_opens(void **state)
{
	(void)state;
	put("plain", 0644);
	assert_opens("plain", 0);
	put("private", 0600);
	assert_opens("private", 0);
}

static void writable_file_is_refused(void **state)
{
	(void)state;
	put("gw", 0664);
	assert_refused("gw", 0, "writable by group (mode 0664); refusing it");
	put("ow", 0646);
	assert_refused("ow", 0, "writable by others (mode 0646)");
	/* even when delegation is allowed */
	assert_refused("ow", ROAM_TRUST_DELEGATED, "writable by others");
}

static void writable_dir_on_the_way_is_refused(void **state)
{
	(void)state;
	dir("open", 0777);
	put("open/conf", 0644);
	assert_refused("open/conf", 0, "open: writable by others (mode 0777)");
	dir("gopen", 0770);
	put("gopen/conf", 0644);
	assert_refused("gopen/conf", 0, "writable by group");
	/* the object itself: a world-writable sticky dir is still refused */
	dir("sticky", 01777);
	assert_refused("sticky", 0, "writable by others (mode 1777)");
}

static void sticky_dir_on_the_way_is_fine(void **state)
{
	(void)state;
	dir("tmp", 01777);
	put("tmp/mine", 0644);
	assert_opens("tmp/mine", 0);
}

static void symlink_resolves_to_what_is_checked(void **state)
{
	(void)state;
	put("target", 0644);
	unlink(test_path("link"));
	assert_int_equal(symlink(test_path("target"), test_path("link")), 0);
	assert_opens("link", 0);
	put("bad", 0666);
	unlink(test_path("badlink"));
	assert_int_equal(symlink(test_path("bad"), test_path("badlink")), 0);
	assert_refused("badlink", 0, "bad: writable by others");
}

static void missing_fifo_and_create(void **state)
{
	struct roam_error e = { "" };

	(void)state;
	assert_int_equal(roam_open_trusted(test_path("none"), O_RDONLY, &e), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(e.msg, "none"));
	unlink(test_path("fifo"));
	assert_int_equal(mkfifo(test_path("fifo"), 0600), 0);
	assert_refused("fifo", 0, "not a regular file or directory");
	assert_int_equal(roam_open_trusted(test_path("plain"), O_RDWR | O_CREAT, &e), -1);
	assert_int_equal(errno, EINVAL);
}

static void stranger_owner_is_refused_unless_delegated(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();		/* chown needs root */
	put("theirs", 0644);
	assert_int_equal(chown(test_path("theirs"), NOBODY, NOBODY), 0);
	assert_refused("theirs", 0, "theirs: owned by uid 65534, neither root nor you");
	/* a file is never delegated: only a directory root's tree hands over */
	assert_refused("theirs", ROAM_TRUST_DELEGATED, "owned by uid 65534");

	dir("svc", 0755);
	put("svc/state", 0644);
	assert_int_equal(chown(test_path("svc"), NOBODY, NOBODY), 0);
	assert_int_equal(chown(test_path("svc/state"), NOBODY, NOBODY), 0);
	assert_refused("svc/state", 0, "svc: owned by uid 65534");
	assert_opens("svc/state", ROAM_TRUST_DELEGATED);

	/* a stranger's directory in a sticky one is squatting, not delegation */
	dir("tmp", 01777);
	dir("tmp/squat", 0755);
	put("tmp/squat/state", 0644);
	assert_int_equal(chown(test_path("tmp/squat"), NOBODY, NOBODY), 0);
	assert_refused("tmp/squat/state", ROAM_TRUST_DELEGATED, "squat: owned by uid 65534");
}

static void dir_open_creates_and_checks(void **state)
{
	struct roam_error e = { "" };
	struct stat st;
	mode_t old = umask(077);
	int fd;

	(void)state;
	fd = roam_dir_open_trusted(test_path("new/a/b"), 0755, &e);
	umask(old);
	if (fd < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);	/* whatever the umask */
	close(fd);
	dir("shared", 0777);
	assert_int_equal(roam_dir_open_trusted(test_path("shared"), 0700, &e), -1);
	assert_non_null(strstr(e.msg, "shared: writable by others (mode 0777)"));
	put("file", 0644);
	assert_int_equal(roam_dir_open_trusted(test_path("file"), 0700, &e), -1);
}

/* roam_openat_trusted: one file in a directory already checked */
static int openat_in(const char *dname, const char *name, struct roam_error *e)
{
	int dfd = open(test_path(dname), O_RDONLY | O_DIRECTORY), fd;

	assert_true(dfd >= 0);
	fd = roam_openat_trusted(dfd, name, O_RDONLY, e);
	close(dfd);
	return fd;
}

static void openat_checks_the_opened_file(void **state)
{
	struct roam_error e = { "" };
	int fd;

	(void)state;
	dir("at", 0755);
	put("at/ok", 0644);
	put("at/gw", 0664);
	assert_int_equal(symlink("ok", test_path("at/link")), 0);
	assert_int_equal(mkfifo(test_path("at/fifo"), 0644), 0);
	assert_true((fd = openat_in("at", "ok", &e)) >= 0);
	close(fd);
	assert_int_equal(openat_in("at", "gw", &e), -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(e.msg, "gw: writable by group (mode 0664)"));
	assert_int_equal(openat_in("at", "link", &e), -1);	/* never followed */
	assert_int_equal(errno, ELOOP);
	assert_int_equal(openat_in("at", "fifo", &e), -1);	/* and no hang */
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(e.msg, "not a regular file"));
	assert_int_equal(openat_in("at", "none", &e), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(openat_in("at", "../at/ok", &e), -1);
	assert_int_equal(errno, EINVAL);
	if (geteuid() != 0)
		return;
	/* the directory's owner writes the file; a third uid is a plant */
	assert_int_equal(chown(test_path("at"), NOBODY, NOBODY), 0);
	assert_int_equal(chown(test_path("at/ok"), NOBODY, NOBODY), 0);
	assert_true((fd = openat_in("at", "ok", &e)) >= 0);
	close(fd);
	assert_int_equal(chown(test_path("at/ok"), 1, 1), 0);
	assert_int_equal(openat_in("at", "ok", &e), -1);
	assert_non_null(strstr(e.msg, "owned by uid 1, not by its directory's owner"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(own_private_file_opens),
		cmocka_unit_test(writable_file_is_refused),
		cmocka_unit_test(writable_dir_on_the_way_is_refused),
		cmocka_unit_test(sticky_dir_on_the_way_is_fine),
		cmocka_unit_test(symlink_resolves_to_what_is_checked),
		cmocka_unit_test(missing_fifo_and_create),
		cmocka_unit_test(stranger_owner_is_refused_unless_delegated),
		cmocka_unit_test(dir_open_creates_and_checks),
		cmocka_unit_test(openat_checks_the_opened_file),
	};

	return cmocka_run_group_tests(tests, testdir_setup, testdir_teardown);
}
