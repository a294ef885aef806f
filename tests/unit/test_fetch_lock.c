/* SPDX-License-Identifier: MIT */
/* fetch/lock: one instance per account, across processes. */
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

#include "../../fetch/lock.h"
#include "testdir.h"

#define ACCOUNT "alice@127.0.0.1:110 via root@127.0.0.1:2222"

static char state[sizeof(test_dir) + 32];

static int setup(void **s)
{
	if (testdir_setup(s) < 0)
		return -1;
	snprintf(state, sizeof(state), "%s/a/b/state", test_dir);
	return 0;
}

/* what fetch_lock says in a fresh process: 0 locked, 1 busy, 2 error */
static int lock_in_child(const char *account)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		struct roam_error e;
		bool busy;
		int fd = fetch_lock(state, account, &busy, &e);

		_exit(fd >= 0 ? 0 : busy ? 1 : 2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void second_process_is_told_busy(void **s)
{
	struct roam_error e;
	struct stat st;
	bool busy = true;
	int fd;

	(void)s;
	fd = fetch_lock(state, ACCOUNT, &busy, &e);
	assert_true(fd >= 0);
	assert_false(busy);
	/* the state directory was created, private */
	assert_int_equal(stat(state, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(lock_in_child(ACCOUNT), 1);
	/* another account is not blocked */
	assert_int_equal(lock_in_child("bob@127.0.0.1:110 via root@127.0.0.1:2222"), 0);
	close(fd);
	assert_int_equal(lock_in_child(ACCOUNT), 0);
}

static void busy_error_names_the_account(void **s)
{
	struct roam_error e = { .msg = "" };
	bool busy = false;
	int fd, fd2;

	(void)s;
	fd = fetch_lock(state, ACCOUNT, &busy, &e);
	assert_true(fd >= 0);
	/* flock belongs to the open file: the same process is refused too */
	fd2 = fetch_lock(state, ACCOUNT, &busy, &e);
	assert_int_equal(fd2, -1);
	assert_true(busy);
	assert_non_null(strstr(e.msg, ACCOUNT));
	close(fd);
}

static void unusable_state_dir_is_an_error_not_busy(void **s)
{
	char bad[sizeof(test_dir) + 32];
	struct roam_error e = { .msg = "" };
	bool busy = true;
	FILE *f;

	(void)s;
	snprintf(bad, sizeof(bad), "%s/file", test_dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fclose(f);
	strcat(bad, "/sub");
	assert_int_equal(fetch_lock(bad, ACCOUNT, &busy, &e), -1);
	assert_false(busy);
	if (!strstr(e.msg, "state directory: ") || !strstr(e.msg, test_dir))
		fail_msg("'%s' does not name the state directory", e.msg);
}

static void account_names_stay_inside_state_dir(void **s)
{
	static const char *const odd[] = { "../../etc/passwd", ".hidden", "a/b", "" };
	char name[256];
	struct roam_error e;

	(void)s;
	for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
		int fd = fetch_state_dir(state, odd[i], ".lock", name, sizeof(name), &e);

		assert_true(fd >= 0);
		close(fd);
		assert_null(strchr(name, '/'));
		assert_true(name[0] != '.');
	}
	/* distinct accounts that sanitize alike still get distinct files */
	char a[256], b[256];
	int fa = fetch_state_dir(state, "a b", ".uidl", a, sizeof(a), &e);
	int fb = fetch_state_dir(state, "a_b", ".uidl", b, sizeof(b), &e);

	assert_true(fa >= 0 && fb >= 0);
	close(fa);
	close(fb);
	assert_string_not_equal(a, b);
}

/* a state_dir that someone else controls could hold a planted UIDL record
 * (messages deleted unseen): refused with its path named, also when it
 * already exists */
static void a_state_dir_others_control_is_refused(void **s)
{
	char dir[sizeof(test_dir) + 32], name[256];
	struct roam_error e = { "" };
	int fd;

	(void)s;
	snprintf(dir, sizeof(dir), "%s/shared", test_dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0770), 0);
	fd = fetch_state_dir(dir, ACCOUNT, ".uidl", name, sizeof(name), &e);
	assert_int_equal(fd, -1);
	if (!strstr(e.msg, dir) || !strstr(e.msg, "writable by group"))
		fail_msg("'%s' does not name %s and why", e.msg, dir);
	assert_int_equal(chmod(dir, 0700), 0);
	fd = fetch_state_dir(dir, ACCOUNT, ".uidl", name, sizeof(name), &e);
	assert_true(fd >= 0);
	close(fd);
	if (getuid() == 0) {	/* pre-created by another user */
		assert_int_equal(chown(dir, 65534, 65534), 0);
		e.msg[0] = '\0';
		assert_int_equal(fetch_state_dir(dir, ACCOUNT, ".uidl", name, sizeof(name), &e), -1);
		if (!strstr(e.msg, dir) || !strstr(e.msg, "65534"))
			fail_msg("'%s' does not name %s and its owner", e.msg, dir);
		assert_int_equal(chown(dir, 0, 0), 0);
	}
	/* missing ones are still made, 0700 */
	snprintf(dir, sizeof(dir), "%s/new/state", test_dir);
	fd = fetch_state_dir(dir, ACCOUNT, ".uidl", name, sizeof(name), &e);
	assert_true(fd >= 0);
	close(fd);
	struct stat st;

	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(second_process_is_told_busy),
		cmocka_unit_test(busy_error_names_the_account),
		cmocka_unit_test(unusable_state_dir_is_an_error_not_busy),
		cmocka_unit_test(account_names_stay_inside_state_dir),
		cmocka_unit_test(a_state_dir_others_control_is_refused),
	};

	return cmocka_run_group_tests_name("fetch_lock", tests, setup, testdir_teardown);
}
