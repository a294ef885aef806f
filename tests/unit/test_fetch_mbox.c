/* SPDX-License-Identifier: MIT */
/* fetch/deliver for mbox: batches with marker lines, the journal, and the
 * repair of a run killed with SIGKILL (a real child process, really killed)
 * before, after and in the middle of its deliver_sync; other mail after the
 * batch, a forged marker, an mbox rewritten by a reader, a dead lock owner,
 * two runs breaking one dead lock, a directory without room for a dot lock.
 * The kill in the middle of flipping markers and the mail a reader adds are
 * written by hand: no real part stops between two pwrites on demand. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fetch/deliver.h"
#include "exits.h"
#include "log.h"
#include "testdir.h"

static const char old_mail[] = "From a Wed Nov 25 16:40:00 2026\nSubject: old\n\nbody\n\n";

static void put(const char *path, const char *text, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

/* the path of account "acct"'s journal in the state directory, or "" */
static const char *journal(void)
{
	static char found[sizeof(test_dir) + 300];
	DIR *d = opendir(test_path("state"));
	struct dirent *de;

	found[0] = '\0';
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 13 && strcmp(de->d_name + n - 13, ".mbox-journal") == 0)
			snprintf(found, sizeof(found), "%s/%s", test_path("state"), de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

static struct deliver_target *open_mbox(const char *name, struct roam_error *e)
{
	char spec[sizeof(test_dir) + 300];
	struct deliver_target *t;

	snprintf(spec, sizeof(spec), "mbox:%s", test_path(name));
	t = deliver_open(spec, e);
	if (t && !deliver_journal(t, test_path("state"), "acct", e)) {
		deliver_close(t);
		return NULL;
	}
	return t;
}

static void deliver_keyed(struct deliver_target *t, const char *key)
{
	struct roam_error e = { "" };
	char text[200];
	struct deliver_msg *m = deliver_begin_keyed(t, key, &e);

	assert_non_null(m);
	snprintf(text, sizeof(text), "Subject: %s\r\n\r\nFrom the body of %s\r\n", key, key);
	assert_true(deliver_write(m, text, strlen(text), &e));
	assert_true(deliver_commit(m, &e));
}

/* A run in a child: nkeys keyed messages k1…kN, deliver_sync when synced,
 * then (partial) the first 300 000 bytes of one more, kp; then SIGKILL,
 * whatever it is doing, as kill -9 would. */
static void killed_run(const char *name, int nkeys, bool synced, bool partial)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct roam_error e = { "" };
		struct deliver_target *t = open_mbox(name, &e);
		static char big[100000];
		char key[16];

		if (!t)
			_exit(1);
		for (int i = 1; i <= nkeys; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			deliver_keyed(t, key);
		}
		if (synced && !deliver_sync(t, &e))
			_exit(2);
		if (partial) {
			struct deliver_msg *m = deliver_begin_keyed(t, "kp", &e);

			memset(big, 'y', sizeof(big));
			for (int i = 0; m && i < 3; i++)
				deliver_write(m, big, sizeof(big), &e);
		}
		raise(SIGKILL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void assert_seen(struct deliver_target *t, const char *keys, bool want)
{
	char copy[100], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", keys);
	for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save))
		if (deliver_seen(t, k) != want)
			fail_msg("deliver_seen(%s) should be %s", k, want ? "true" : "false");
}

/* ---- a batch that runs to the end ------------------------------------------ */

static void markers_flip_at_sync_and_the_journal_goes_when_recorded(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *text, lock[64];
	int n;

	(void)s;
	put(test_path("flip.mbox"), old_mail, "w");
	t = open_mbox("flip.mbox", &e);
	assert_non_null(t);
	deliver_keyed(t, "k1");
	deliver_keyed(t, "k2");
	/* the batch keeps the mailbox locked, by a lock that names us */
	text = test_slurp(test_path("flip.mbox.lock"), NULL);
	n = snprintf(lock, sizeof(lock), "%ld ", (long)getpid());
	assert_memory_equal(text, lock, (size_t)n);
	free(text);
	text = test_slurp(test_path("flip.mbox"), NULL);
	assert_int_equal(occurrences(text, "\nX-Roam-Tmp: "), 2);
	assert_int_equal(occurrences(text, "X-Roam-Key"), 0);
	assert_string_not_equal(journal(), "");
	free(text);
	assert_true(deliver_sync(t, &e));
	text = test_slurp(test_path("flip.mbox"), NULL);
	assert_memory_equal(text, old_mail, strlen(old_mail));
	assert_int_equal(occurrences(text, "X-Roam-Tmp"), 0);
	/* right after each From_ line, and the body's From quoted */
	assert_int_equal(occurrences(text, " 2026\nX-Roam-Key: "), 2);
	assert_int_equal(occurrences(text, "\n>From the body of k"), 2);
	free(text);
	assert_int_equal(access(test_path("flip.mbox.lock"), F_OK), -1);
	assert_string_not_equal(journal(), "");
	deliver_recorded(t);
	assert_string_equal(journal(), "");
	deliver_close(t);
}

static void close_without_sync_truncates_the_batch(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *text;

	(void)s;
	put(test_path("undo.mbox"), old_mail, "w");
	t = open_mbox("undo.mbox", &e);
	deliver_keyed(t, "k1");
	deliver_keyed(t, "k2");
	deliver_close(t);
	text = test_slurp(test_path("undo.mbox"), NULL);
	assert_string_equal(text, old_mail);
	free(text);
	assert_int_equal(access(test_path("undo.mbox.lock"), F_OK), -1);
}

/* ---- runs killed with SIGKILL ---------------------------------------------- */

static void killed_before_sync_is_cut_off(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *text;

	(void)s;
	put(test_path("cut.mbox"), old_mail, "w");
	killed_run("cut.mbox", 3, false, true);
	/* the dead run's dot lock is still there, and names a process that is gone */
	assert_int_equal(access(test_path("cut.mbox.lock"), F_OK), 0);
	t = open_mbox("cut.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1 k2 k3 kp", false);
	text = test_slurp(test_path("cut.mbox"), NULL);
	assert_string_equal(text, old_mail);
	free(text);
	assert_string_equal(journal(), "");
	assert_int_equal(access(test_path("cut.mbox.lock"), F_OK), -1);
	/* and the mailbox takes mail again */
	deliver_keyed(t, "k1");
	assert_true(deliver_sync(t, &e));
	deliver_recorded(t);
	deliver_close(t);
	text = test_slurp(test_path("cut.mbox"), NULL);
	assert_int_equal(occurrences(text, "\nFrom "), 1);
	free(text);
}

static void killed_after_sync_is_found(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *before, *after;

	(void)s;
	put(test_path("found.mbox"), old_mail, "w");
	killed_run("found.mbox", 3, true, false);
	before = test_slurp(test_path("found.mbox"), NULL);
	t = open_mbox("found.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1 k2 k3", true);
	assert_seen(t, "k4 k", false);
	after = test_slurp(test_path("found.mbox"), NULL);
	assert_string_equal(after, before);
	free(before);
	free(after);
	/* kept until the caller has recorded them */
	assert_string_not_equal(journal(), "");
	deliver_recorded(t);
	assert_string_equal(journal(), "");
	deliver_close(t);
}

/* the nonce of the batch in text: after the first marker */
static void nonce_of(const char *text, char *nonce)
{
	const char *m = strstr(text, "X-Roam-");

	assert_non_null(m);
	memcpy(nonce, m + 12, 16);
	nonce[16] = '\0';
}

static void killed_while_flipping_keeps_the_flipped(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *text, nonce[17], tail[100];
	size_t len;

	(void)s;
	put(test_path("mid.mbox"), old_mail, "w");
	killed_run("mid.mbox", 3, true, false);
	text = test_slurp(test_path("mid.mbox"), &len);
	nonce_of(text, nonce);
	/* as if killed after the first flip: k2 and k3 still Tmp, and a last
	 * message cut short */
	char *second = strstr(text, "X-Roam-Key: ");

	second = strstr(second + 1, "X-Roam-Key: ");
	memcpy(second + 7, "Tmp", 3);
	memcpy(strstr(second + 1, "X-Roam-Key: ") + 7, "Tmp", 3);
	char *cut_at = second;

	while (cut_at[-1] != '\n' || strncmp(cut_at, "From ", 5) != 0)
		cut_at--;
	size_t keep = (size_t)(cut_at - text);

	put(test_path("mid.mbox"), text, "w");
	snprintf(tail, sizeof(tail), "From x Wed Nov 25 16:40:00 2026\nX-Roam-Tmp: %s k4\nSubj",
		 nonce);
	put(test_path("mid.mbox"), tail, "a");
	t = open_mbox("mid.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1", true);
	assert_seen(t, "k2 k3 k4", false);
	free(text);
	text = test_slurp(test_path("mid.mbox"), &len);
	assert_int_equal(len, keep);
	assert_int_equal(occurrences(text, "X-Roam-Key"), 1);
	assert_int_equal(occurrences(text, "X-Roam-Tmp"), 0);
	free(text);
	deliver_recorded(t);
	deliver_close(t);
}

/* ---- what the batch cannot vouch for --------------------------------------- */

static void mail_after_the_batch_is_never_cut(void **s)
{
	static const char local[] = "\nFrom local Wed Nov 25 16:41:00 2026\nSubject: local\n\nhi\n\n";
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *before, *after;

	(void)s;
	put(test_path("other.mbox"), old_mail, "w");
	killed_run("other.mbox", 2, false, true);
	put(test_path("other.mbox"), local, "a");
	unlink(test_path("other.mbox.lock"));	/* as the local MDA would, after its delivery */
	before = test_slurp(test_path("other.mbox"), NULL);
	t = open_mbox("other.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1 k2 kp", false);
	after = test_slurp(test_path("other.mbox"), NULL);
	assert_string_equal(after, before);
	assert_non_null(strstr(after, "\nhi\n\n"));
	free(before);
	free(after);
	assert_string_equal(journal(), "");
	deliver_close(t);
}

static void a_forged_marker_is_not_ours(void **s)
{
	static const char forged[] = "From evil Wed Nov 25 16:41:00 2026\n"
				     "X-Roam-Key: 0123456789abcdef k9\nSubject: x\n\nx\n\n";
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *text, nonce[17], same[200];

	(void)s;
	put(test_path("forged.mbox"), old_mail, "w");
	killed_run("forged.mbox", 1, true, false);
	put(test_path("forged.mbox"), forged, "a");
	text = test_slurp(test_path("forged.mbox"), NULL);
	nonce_of(text, nonce);
	free(text);
	assert_string_not_equal(nonce, "0123456789abcdef");
	/* only a marker right after a From_ line counts, even with our nonce */
	snprintf(same, sizeof(same), "From evil Wed Nov 25 16:41:00 2026\nSubject: x\n"
		 "X-Roam-Key: %s k8\n\nx\n\n", nonce);
	put(test_path("forged.mbox"), same, "a");
	t = open_mbox("forged.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1", true);
	assert_seen(t, "k9 k8", false);
	deliver_recorded(t);
	deliver_close(t);
}

static void a_rewritten_mbox_is_searched_whole(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char *text, *after;
	size_t len;

	(void)s;
	put(test_path("moved.mbox"), old_mail, "w");
	killed_run("moved.mbox", 2, true, false);
	/* a reader dropped the old message and wrote the rest to a new file */
	text = test_slurp(test_path("moved.mbox"), &len);
	put(test_path("moved.new"), text + strlen(old_mail), "w");
	assert_int_equal(rename(test_path("moved.new"), test_path("moved.mbox")), 0);
	t = open_mbox("moved.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1 k2", true);
	after = test_slurp(test_path("moved.mbox"), NULL);
	assert_string_equal(after, text + strlen(old_mail));
	free(text);
	free(after);
	deliver_recorded(t);
	deliver_close(t);
}

static void a_journal_of_another_mbox_is_dropped(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;

	(void)s;
	killed_run("first.mbox", 1, true, false);
	assert_string_not_equal(journal(), "");
	t = open_mbox("second.mbox", &e);
	assert_non_null(t);
	assert_seen(t, "k1", false);
	assert_string_equal(journal(), "");
	deliver_close(t);
}

static void a_corrupt_journal_is_an_error(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	char path[sizeof(test_dir) + 300];

	(void)s;
	killed_run("bad.mbox", 1, true, false);
	snprintf(path, sizeof(path), "%s", journal());
	put(path, "roam-fetch mbox journal 1\nnot numbers\n/x\n", "w");
	t = open_mbox("bad.mbox", &e);
	assert_null(t);
	assert_non_null(strstr(e.msg, ".mbox-journal: not a roam-fetch mbox journal"));
	unlink(path);
}

/* a lock whose owner lives is waited for, not broken */
static void a_live_lock_owner_is_waited_for(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	int ready[2], status;
	char c, *text;
	pid_t pid;

	(void)s;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		char host[HOST_NAME_MAX + 1] = "", owner[HOST_NAME_MAX + 32];
		int fd = open(test_path("live.mbox.lock"), O_CREAT | O_EXCL | O_WRONLY, 0644);

		gethostname(host, sizeof(host) - 1);
		int n = snprintf(owner, sizeof(owner), "%ld %s\n", (long)getpid(), host);

		if (fd < 0 || write(fd, owner, (size_t)n) != n || write(ready[1], "r", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		put(test_path("live.mbox"), "From owner Wed Nov 25 16:40:00 2026\n\nmine\n\n", "w");
		unlink(test_path("live.mbox.lock"));
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	t = open_mbox("live.mbox", &e);
	deliver_keyed(t, "k1");
	assert_true(deliver_sync(t, &e));
	deliver_recorded(t);
	deliver_close(t);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	text = test_slurp(test_path("live.mbox"), NULL);
	assert_memory_equal(text, "From owner ", 11);
	assert_non_null(strstr(text, "\nmine\n\nFrom MAILER-DAEMON "));
	free(text);
	close(ready[0]);
	close(ready[1]);
}

/* a dot lock naming a process that is gone, as a killed run leaves it */
static void plant_dead_lock(const char *lock)
{
	char host[HOST_NAME_MAX + 1] = "", text[HOST_NAME_MAX + 32];
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	gethostname(host, sizeof(host) - 1);
	snprintf(text, sizeof(text), "%ld %s\n", (long)dead, host);
	put(lock, text, "w");
}

/* Another run (the child) is in the middle of breaking the same dead lock: it
 * holds the flock on it, then replaces it with its own live lock. We must
 * wait, and never remove the child's fresh lock: before flock, we unlinked the
 * name we judged, which by then was the child's. */
static void two_breakers_of_one_dead_lock(void **s)
{
	struct roam_error e = { "" };
	struct deliver_target *t;
	int ready[2], status;
	char c, *text;
	pid_t pid;

	(void)s;
	plant_dead_lock(test_path("race.mbox.lock"));
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		char host[HOST_NAME_MAX + 1] = "", owner[HOST_NAME_MAX + 32];
		int fd = open(test_path("race.mbox.lock"), O_RDONLY), mine;
		struct stat a, b;

		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		usleep(300 * 1000);	/* judging it, slowly */
		unlink(test_path("race.mbox.lock"));
		mine = open(test_path("race.mbox.lock"), O_CREAT | O_EXCL | O_WRONLY, 0644);
		gethostname(host, sizeof(host) - 1);
		int n = snprintf(owner, sizeof(owner), "%ld %s\n", (long)getpid(), host);

		if (mine < 0 || write(mine, owner, (size_t)n) != n || fstat(mine, &a) < 0)
			_exit(2);
		close(fd);
		usleep(300 * 1000);	/* holding our lock */
		put(test_path("race.mbox"), "From child Wed Nov 25 16:40:00 2026\n\nchild\n\n", "a");
		/* our lock is still ours */
		if (stat(test_path("race.mbox.lock"), &b) < 0 || a.st_ino != b.st_ino)
			_exit(3);
		unlink(test_path("race.mbox.lock"));
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	t = open_mbox("race.mbox", &e);
	assert_non_null(t);
	deliver_keyed(t, "k1");
	assert_true(deliver_sync(t, &e));
	deliver_recorded(t);
	deliver_close(t);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);	/* its lock was never taken away */
	text = test_slurp(test_path("race.mbox"), NULL);
	assert_memory_equal(text, "From child ", 11);	/* it went first, whole */
	assert_int_equal(occurrences(text, "\nFrom "), 1);
	free(text);
	assert_int_equal(access(test_path("race.mbox.lock"), F_OK), -1);
	close(ready[0]);
	close(ready[1]);
}

/* a user cannot create PATH.lock in a root-owned spool (Debian's /var/mail is
 * root:mail 2775): delivered under the fcntl lock, and said once, at notice level */
static void no_room_for_a_dot_lock_is_said_once(void **s)
{
	struct passwd *nobody = getpwnam("nobody");
	char spool[sizeof(test_dir) + 16], mbox[sizeof(spool) + 16], log[sizeof(test_dir) + 16];
	int status;
	pid_t pid;
	char *text;

	(void)s;
	if (getuid() != 0 || !nobody) {
		skip();
		return;
	}
	snprintf(spool, sizeof(spool), "%s", test_path("spool"));
	snprintf(mbox, sizeof(mbox), "%s/nobody", spool);
	snprintf(log, sizeof(log), "%s", test_path("spool.log"));
	assert_int_equal(mkdir(spool, 0755), 0);
	put(mbox, "", "w");
	assert_int_equal(chown(mbox, nobody->pw_uid, nobody->pw_gid), 0);
	assert_int_equal(chmod(test_dir, 0755), 0);
	pid = fork();
	if (pid == 0) {
		struct roam_error e = { "" };
		struct deliver_target *t;
		char spec[sizeof(mbox) + 8];
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || setgid(nobody->pw_gid) < 0 ||
		    setuid(nobody->pw_uid) < 0)
			_exit(1);
		roam_log_init("test", ROAM_VERBOSE, 0);
		snprintf(spec, sizeof(spec), "mbox:%s", mbox);
		if (!(t = deliver_open(spec, &e)))
			_exit(2);
		for (int batch = 0; batch < 2; batch++) {
			struct deliver_msg *m = deliver_begin(t, &e);

			if (!m || !deliver_write(m, "Subject: x\r\n\r\nx\r\n", 17, &e) ||
			    !deliver_commit(m, &e) || !deliver_sync(t, &e))
				_exit(3);
			deliver_recorded(t);
		}
		deliver_close(t);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(test_dir, 0700), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	text = test_slurp(log, NULL);
	assert_int_equal(occurrences(text, "cannot create the dot lock (Permission denied): "
					   "relying on the fcntl lock alone"), 1);
	free(text);
	text = test_slurp(mbox, NULL);
	assert_int_equal(occurrences(text, "Subject: x\n"), 2);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(markers_flip_at_sync_and_the_journal_goes_when_recorded),
		cmocka_unit_test(close_without_sync_truncates_the_batch),
		cmocka_unit_test(killed_before_sync_is_cut_off),
		cmocka_unit_test(killed_after_sync_is_found),
		cmocka_unit_test(killed_while_flipping_keeps_the_flipped),
		cmocka_unit_test(mail_after_the_batch_is_never_cut),
		cmocka_unit_test(a_forged_marker_is_not_ours),
		cmocka_unit_test(a_rewritten_mbox_is_searched_whole),
		cmocka_unit_test(a_journal_of_another_mbox_is_dropped),
		cmocka_unit_test(a_corrupt_journal_is_an_error),
		cmocka_unit_test(a_live_lock_owner_is_waited_for),
		cmocka_unit_test(two_breakers_of_one_dead_lock),
		cmocka_unit_test(no_room_for_a_dot_lock_is_said_once),
	};

	return cmocka_run_group_tests_name("fetch_mbox", tests, testdir_setup, testdir_teardown);
}
