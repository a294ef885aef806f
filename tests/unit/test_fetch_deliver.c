/* SPDX-License-Identifier: MIT */
/* fetch/deliver: CRLF across chunks, mbox quoting and locking, Maildir names
 * and batching, MDA exit status, early exit, process group and timeout, full
 * disk. Real files in a temporary directory, real sh for the MDA. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fetch/deliver.h"
#include "exits.h"
#include "testdir.h"


static int setup(void **s)
{
	(void)s;
	/* SIGPIPE at its default: an MDA that exits early must not kill us */
	signal(SIGPIPE, SIG_DFL);
	return testdir_setup(s);
}

static char *spec(const char *kind, const char *name)
{
	static char s[sizeof(test_dir) + 300];

	snprintf(s, sizeof(s), "%s:%s", kind, test_path(name));
	return s;
}

static size_t count_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* the one message in MAILDIR/new, removed after reading */
static char *take_new(const char *maildir)
{
	char sub[sizeof(test_dir) + 300], file[sizeof(sub) + 300];
	struct dirent *de;
	char *text = NULL;
	DIR *d;

	snprintf(sub, sizeof(sub), "%s/new", maildir);
	assert_int_equal(count_files(sub), 1);
	d = opendir(sub);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", sub, de->d_name);
		text = test_slurp(file, NULL);
		unlink(file);
	}
	closedir(d);
	return text;
}

/* begin, one write per chunk, commit */
static bool deliver_chunks(struct deliver_target *t, const char *const *chunks, size_t n,
			   struct roam_error *e)
{
	struct deliver_msg *m = deliver_begin(t, e);

	if (!m)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!deliver_write(m, chunks[i], strlen(chunks[i]), e)) {
			deliver_abort(m);
			return false;
		}
	}
	return deliver_commit(m, e);
}

/* ---- CRLF → LF ------------------------------------------------------------ */

static const char crlf_in[] =
	"Subject: x\r\n\r\nline\r\n\r\nlone\rcr\r\r\nend \r\n.dot\r\nlast\r";
static const char crlf_out[] =
	"Subject: x\n\nline\n\nlone\rcr\r\nend \n.dot\nlast\r";

static void crlf_split_at_every_position(void **s)
{
	struct roam_error e;
	struct deliver_target *t;
	const char *md = test_path("crlf");

	(void)s;
	t = deliver_open(spec("maildir", "crlf"), &e);
	assert_non_null(t);
	for (size_t cut = 0; cut <= strlen(crlf_in); cut++) {
		char a[sizeof(crlf_in)], *got;
		const char *chunks[2] = { a, crlf_in + cut };

		memcpy(a, crlf_in, cut);
		a[cut] = '\0';
		assert_true(deliver_chunks(t, chunks, 2, &e));
		assert_true(deliver_sync(t, &e));
		got = take_new(md);
		assert_string_equal(got, crlf_out);
		free(got);
	}
	deliver_close(t);
}

static void crlf_one_byte_at_a_time(void **s)
{
	const char *chunks[sizeof(crlf_in)];
	char bytes[sizeof(crlf_in)][2];
	struct deliver_target *t;
	struct roam_error e;
	size_t n = strlen(crlf_in);
	char *got;

	(void)s;
	for (size_t i = 0; i < n; i++) {
		bytes[i][0] = crlf_in[i];
		bytes[i][1] = '\0';
		chunks[i] = bytes[i];
	}
	t = deliver_open(spec("maildir", "bytes"), &e);
	assert_non_null(t);
	assert_true(deliver_chunks(t, chunks, n, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	got = take_new(test_path("bytes"));
	assert_string_equal(got, crlf_out);
	free(got);
}

/* ---- mbox ----------------------------------------------------------------- */

static const char mbox_in[] =
	"Return-Path: <sender@example.org>\r\nSubject: quoting\r\n\r\n"
	"From the start\r\n>From one\r\n>>From two\r\nFrom\r\nFromage\r\n F"
	"rom inside\r\nFrom \r\n>\r\n>F\r\nlast line without newline";
static const char mbox_body[] =
	"Return-Path: <sender@example.org>\nSubject: quoting\n\n"
	">From the start\n>>From one\n>>>From two\nFrom\nFromage\n F"
	"rom inside\n>From \n>\n>F\nlast line without newline\n\n";

/* the mbox holds FROM_LINE_PREFIX…date\n then want, as many times as n */
static void assert_mbox(const char *path, const char *sender, const char *want, int n)
{
	char prefix[300];
	char *text = test_slurp(path, NULL), *p = text;

	snprintf(prefix, sizeof(prefix), "From %s ", sender);
	for (int i = 0; i < n; i++) {
		char *nl;

		assert_memory_equal(p, prefix, strlen(prefix));
		nl = strchr(p, '\n');
		assert_non_null(nl);
		/* "Wed Nov 25 16:40:00 2026": 24 characters of ctime */
		assert_int_equal(nl - p - (long)strlen(prefix), 24);
		assert_memory_equal(nl + 1, want, strlen(want));
		p = nl + 1 + strlen(want);
	}
	assert_string_equal(p, "");
	free(text);
}

static void mbox_from_line_and_mboxrd_quoting(void **s)
{
	struct deliver_target *t;
	struct roam_error e;
	struct stat st;

	(void)s;
	t = deliver_open(spec("mbox", "quoting.mbox"), &e);
	assert_non_null(t);
	/* every split, so that the quoting state crosses chunk boundaries */
	for (size_t cut = 0; cut <= strlen(mbox_in); cut++) {
		char a[sizeof(mbox_in)];
		const char *chunks[2] = { a, mbox_in + cut };

		memcpy(a, mbox_in, cut);
		a[cut] = '\0';
		assert_true(deliver_chunks(t, chunks, 2, &e));
	}
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	assert_mbox(test_path("quoting.mbox"), "sender@example.org", mbox_body,
		    (int)strlen(mbox_in) + 1);
	/* the dotlock is gone */
	assert_int_equal(stat(test_path("quoting.mbox.lock"), &st), -1);
}

static void mbox_sender_defaults_to_mailer_daemon(void **s)
{
	static const char *const bounce[] = { "Return-Path: <>\r\nSubject: b\r\n\r\nx\r\n" };
	static const char *const none[] = { "Subject: n\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e;

	(void)s;
	t = deliver_open(spec("mbox", "daemon.mbox"), &e);
	assert_true(deliver_chunks(t, bounce, 1, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	assert_mbox(test_path("daemon.mbox"), "MAILER-DAEMON", "Return-Path: <>\nSubject: b\n\nx\n\n",
		    1);
	t = deliver_open(spec("mbox", "none.mbox"), &e);
	assert_true(deliver_chunks(t, none, 1, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	assert_mbox(test_path("none.mbox"), "MAILER-DAEMON", "Subject: n\n\nx\n\n", 1);
}

static void mbox_repairs_a_missing_blank_line(void **s)
{
	static const char *const msg[] = { "Subject: r\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e;
	FILE *f = fopen(test_path("repair.mbox"), "w");
	char *text;

	(void)s;
	fputs("From a Wed Nov 25 16:40:00 2026\nSubject: old\n\nno newline", f);
	fclose(f);
	t = deliver_open(spec("mbox", "repair.mbox"), &e);
	assert_true(deliver_chunks(t, msg, 1, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	text = test_slurp(test_path("repair.mbox"), NULL);
	assert_non_null(strstr(text, "no newline\n\nFrom MAILER-DAEMON "));
	free(text);
}

static void mbox_abort_truncates_back(void **s)
{
	static const char old[] = "From a Wed Nov 25 16:40:00 2026\nSubject: old\n\nbody\n\n";
	struct deliver_target *t;
	struct deliver_msg *m;
	struct roam_error e;
	char big[100000];
	size_t len;
	char *text;
	FILE *f = fopen(test_path("abort.mbox"), "w");

	(void)s;
	fputs(old, f);
	fclose(f);
	memset(big, 'y', sizeof(big));
	t = deliver_open(spec("mbox", "abort.mbox"), &e);
	m = deliver_begin(t, &e);
	assert_non_null(m);
	/* more than the write buffer: part of it is in the file already */
	for (int i = 0; i < 3; i++)
		assert_true(deliver_write(m, big, sizeof(big), &e));
	deliver_abort(m);
	deliver_close(t);
	text = test_slurp(test_path("abort.mbox"), &len);
	assert_int_equal(len, strlen(old));
	assert_string_equal(text, old);
	free(text);
}

static void mbox_waits_for_no_stale_dotlock(void **s)
{
	static const char *const msg[] = { "Subject: s\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e;
	struct timespec old[2] = { { .tv_sec = 1000 }, { .tv_sec = 1000 } };
	int fd = open(test_path("stale.mbox.lock"), O_CREAT | O_WRONLY, 0644);

	(void)s;
	/* a lock left by a crash long ago is removed, not waited for */
	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, old), 0);
	close(fd);
	t = deliver_open(spec("mbox", "stale.mbox"), &e);
	assert_true(deliver_chunks(t, msg, 1, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	assert_mbox(test_path("stale.mbox"), "MAILER-DAEMON", "Subject: s\n\nx\n\n", 1);
	assert_int_equal(access(test_path("stale.mbox.lock"), F_OK), -1);
}

/* a reader holding both locks for a moment: the delivery waits, then appends
 * after the reader's own write (never into the middle of it) */
static void mbox_waits_for_a_locking_reader(void **s)
{
	static const char *const msg[] = { "Subject: w\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e;
	int ready[2], status;
	char c;
	pid_t pid;

	(void)s;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int lock = open(test_path("held.mbox.lock"), O_CREAT | O_EXCL | O_WRONLY, 0644);
		int fd = open(test_path("held.mbox"), O_CREAT | O_WRONLY | O_APPEND, 0600);

		if (lock < 0 || fd < 0 || fcntl(fd, F_SETLK, &fl) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		if (write(fd, "From reader Wed Nov 25 16:40:00 2026\nSubject: r\n\nr\n\n", 52) != 52)
			_exit(1);
		unlink(test_path("held.mbox.lock"));
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	t = deliver_open(spec("mbox", "held.mbox"), &e);
	assert_true(deliver_chunks(t, msg, 1, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	char *text = test_slurp(test_path("held.mbox"), NULL);

	assert_memory_equal(text, "From reader ", 12);
	assert_non_null(strstr(text, "\nr\n\nFrom MAILER-DAEMON "));
	free(text);
	close(ready[0]);
	close(ready[1]);
}

/* ---- Maildir -------------------------------------------------------------- */

static void maildir_is_created_with_tmp_new_cur(void **s)
{
	struct deliver_target *t;
	struct roam_error e;
	struct stat st;

	(void)s;
	t = deliver_open(spec("maildir", "fresh"), &e);
	assert_non_null(t);
	deliver_close(t);
	assert_int_equal(stat(test_path("fresh/tmp"), &st), 0);
	assert_int_equal(stat(test_path("fresh/new"), &st), 0);
	assert_int_equal(stat(test_path("fresh/cur"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

/* n messages, committed without a sync in between */
static void burst(const char *maildir_spec, int n)
{
	static const char *const msg[] = { "Subject: burst\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e;

	t = deliver_open(maildir_spec, &e);
	assert_non_null(t);
	for (int i = 0; i < n; i++)
		assert_true(deliver_chunks(t, msg, 1, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
}

static void maildir_names_unique_under_a_burst(void **s)
{
	char sp[sizeof(test_dir) + 300];
	pid_t pid;
	int status;

	(void)s;
	/* two processes at once, more messages than the kept fds */
	snprintf(sp, sizeof(sp), "%s", spec("maildir", "burst"));
	pid = fork();
	if (pid == 0) {
		burst(sp, 300);
		_exit(0);
	}
	burst(sp, 300);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(count_files(test_path("burst/new")), 600);
	assert_int_equal(count_files(test_path("burst/tmp")), 0);
}

static void commit_is_invisible_until_sync(void **s)
{
	static const char *const msg[] = { "Subject: later\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e;

	(void)s;
	t = deliver_open(spec("maildir", "later"), &e);
	assert_true(deliver_chunks(t, msg, 1, &e));
	assert_int_equal(count_files(test_path("later/new")), 0);
	assert_true(deliver_sync(t, &e));
	assert_int_equal(count_files(test_path("later/new")), 1);
	assert_int_equal(count_files(test_path("later/tmp")), 0);
	/* committed, never synced, closed: its UIDL was never recorded, so it
	 * must not stay (the next run fetches it again) */
	assert_true(deliver_chunks(t, msg, 1, &e));
	deliver_close(t);
	assert_int_equal(count_files(test_path("later/new")), 1);
	assert_int_equal(count_files(test_path("later/tmp")), 0);
}

static void abort_leaves_nothing(void **s)
{
	struct deliver_target *t;
	struct deliver_msg *m;
	struct roam_error e;

	(void)s;
	t = deliver_open(spec("maildir", "abort"), &e);
	m = deliver_begin(t, &e);
	assert_non_null(m);
	assert_int_equal(count_files(test_path("abort/tmp")), 1);
	assert_true(deliver_write(m, "Subject: a\r\n\r\npart", 19, &e));
	deliver_abort(m);
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	assert_int_equal(count_files(test_path("abort/tmp")), 0);
	assert_int_equal(count_files(test_path("abort/new")), 0);
}

static void one_message_at_a_time(void **s)
{
	struct deliver_target *t;
	struct deliver_msg *m;
	struct roam_error e = { .msg = "" };

	(void)s;
	t = deliver_open(spec("maildir", "one"), &e);
	m = deliver_begin(t, &e);
	assert_non_null(m);
	assert_null(deliver_begin(t, &e));
	assert_non_null(strstr(e.msg, "already"));
	deliver_abort(m);
	deliver_close(t);
}

/* one keyed message into MAILDIR (under test_dir), committed and synced */
static void deliver_keyed(const char *maildir, const char *key)
{
	struct deliver_target *t = deliver_open(spec("maildir", maildir), NULL);
	struct roam_error e;
	struct deliver_msg *m;

	assert_non_null(t);
	m = deliver_begin_keyed(t, key, &e);
	assert_non_null(m);
	assert_true(deliver_write(m, "Subject: k\r\n\r\nx\r\n", 18, &e));
	assert_true(deliver_commit(m, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
}

static bool seen(const char *maildir, const char *key)
{
	struct deliver_target *t = deliver_open(spec("maildir", maildir), NULL);
	bool yes;

	assert_non_null(t);
	yes = deliver_seen(t, key);
	deliver_close(t);
	return yes;
}

static void keyed_message_is_seen_by_later_runs(void **s)
{
	static const char key[] = "odd/uidl:with,chars%";
	char cmd[sizeof(test_dir) + 200];

	(void)s;
	deliver_keyed("keyed", key);
	deliver_keyed("keyed", "plain-1");
	assert_true(seen("keyed", key));
	assert_true(seen("keyed", "plain-1"));
	assert_false(seen("keyed", "plain-2"));
	assert_false(seen("keyed", "odd"));
	/* the escaped key is in the name; a reader moving it to cur/ keeps it */
	snprintf(cmd, sizeof(cmd), "cd %s/keyed && for f in new/*; do mv \"$f\" \"cur/${f#new/}:2,S\"; done",
		 test_dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(count_files(test_path("keyed/new")), 0);
	assert_true(seen("keyed", key));
	assert_true(seen("keyed", "plain-1"));
	snprintf(cmd, sizeof(cmd), "ls %s/keyed/cur | grep -q ',U=odd%%2Fuidl%%3Awith%%2Cchars%%25,S=[0-9]*:2,S$'",
		 test_dir);
	assert_int_equal(system(cmd), 0);
}

static void unsynced_or_unkeyed_is_not_seen(void **s)
{
	static const char *const msg[] = { "Subject: u\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct deliver_msg *m;
	char *text;
	struct roam_error e = { .msg = "" };

	(void)s;
	t = deliver_open(spec("maildir", "unseen"), &e);
	assert_true(deliver_chunks(t, msg, 1, &e));	/* no key */
	m = deliver_begin_keyed(t, "never-synced", &e);
	assert_true(deliver_write(m, "x\r\n", 3, &e));
	assert_true(deliver_commit(m, &e));
	deliver_close(t);	/* without deliver_sync: dropped */
	assert_false(seen("unseen", "never-synced"));
	/* not a key: a space */
	t = deliver_open(spec("maildir", "unseen"), &e);
	assert_null(deliver_begin_keyed(t, "two words", &e));
	assert_non_null(strstr(e.msg, "no message key"));
	assert_false(deliver_seen(t, ""));
	deliver_close(t);
	/* an mbox without a journal (test_fetch_mbox.c has it) and an MDA keep no keys */
	t = deliver_open(spec("mbox", "unseen.mbox"), &e);
	m = deliver_begin_keyed(t, "k", &e);
	assert_true(deliver_commit(m, &e));
	assert_true(deliver_sync(t, &e));
	assert_false(deliver_seen(t, "k"));
	deliver_close(t);
	text = test_slurp(test_path("unseen.mbox"), NULL);
	assert_null(strstr(text, "X-Roam"));
	free(text);
	t = deliver_open("mda:cat >/dev/null", &e);
	m = deliver_begin_keyed(t, "k", &e);
	assert_true(deliver_commit(m, &e));
	assert_false(deliver_seen(t, "k"));
	assert_false(deliver_batched(t));
	deliver_close(t);
}

/* in a child with its own UTS namespace and a 60-character host name, a key of
 * 70 characters that all need escaping makes the name too long for the
 * filesystem: the message still arrives, without its key */
static int overlong_in_child(const char *key)
{
	static const char host[] = "a-host-name-of-sixty-characters-for-the-maildir-name-test-xx";
	struct deliver_target *t;
	struct deliver_msg *m;
	struct roam_error e;

	if (unshare(CLONE_NEWUTS) < 0 || sethostname(host, strlen(host)) < 0)
		return 10;
	t = deliver_open(spec("maildir", "longkey"), &e);
	if (!t || !(m = deliver_begin_keyed(t, key, &e)) ||
	    !deliver_write(m, "Subject: l\r\n\r\nx\r\n", 18, &e) || !deliver_commit(m, &e) ||
	    !deliver_sync(t, &e))
		return 11;
	deliver_close(t);
	return 0;
}

static void overlong_key_falls_back_to_a_plain_name(void **s)
{
	char key[71];
	int status;
	pid_t pid;

	(void)s;
	if (geteuid() != 0)
		skip();
	memset(key, '/', 70);
	key[70] = '\0';
	pid = fork();
	if (pid == 0)
		_exit(overlong_in_child(key));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_files(test_path("longkey/new")), 1);
	assert_false(seen("longkey", key));
}

/* RLIMIT_FSIZE gives EFBIG on demand, like a full disk */
static void full_disk_fails_and_leaves_nothing(void **s)
{
	struct rlimit old, small = { .rlim_cur = 200000 };
	struct deliver_target *t, *mb;
	struct deliver_msg *m;
	struct roam_error e = { .msg = "" };
	static char big[64 * 1024];
	bool ok = true;
	size_t len;
	char *text;

	(void)s;
	memset(big, 'z', sizeof(big));
	t = deliver_open(spec("maildir", "full"), &e);
	mb = deliver_open(spec("mbox", "full.mbox"), &e);
	assert_true(t && mb);
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

	m = deliver_begin(t, &e);
	for (int i = 0; i < 8 && ok; i++)
		ok = deliver_write(m, big, sizeof(big), &e);
	ok = ok && deliver_commit(m, &e);
	if (ok)
		m = NULL;
	deliver_abort(m);
	assert_false(ok);
	assert_non_null(strstr(e.msg, "File too large"));
	assert_int_equal(deliver_exit_code(t), FETCH_EXIT_IOERR);

	/* mbox: back to its old size */
	m = deliver_begin(mb, &e);
	assert_true(deliver_write(m, "Subject: f\r\n\r\n", 14, &e));
	ok = true;
	for (int i = 0; i < 8 && ok; i++)
		ok = deliver_write(m, big, sizeof(big), &e);
	assert_false(ok);
	deliver_abort(m);
	assert_int_equal(deliver_exit_code(mb), FETCH_EXIT_IOERR);

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	deliver_close(t);
	deliver_close(mb);
	assert_int_equal(count_files(test_path("full/tmp")), 0);
	assert_int_equal(count_files(test_path("full/new")), 0);
	text = test_slurp(test_path("full.mbox"), &len);
	assert_int_equal(len, 0);
	free(text);
}

/* what a user without write access gets: an I/O error naming the place */
static int unwritable_in_child(void)
{
	static const char *const msg[] = { "Subject: p\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e = { .msg = "" };

	if (setgid(65534) < 0 || setuid(65534) < 0)
		return 10;
	t = deliver_open(spec("maildir", "locked/Maildir"), &e);
	if (t || !strstr(e.msg, "Permission denied") || !strstr(e.msg, "locked/Maildir"))
		return 11;
	t = deliver_open(spec("mbox", "locked/mbox"), &e);
	if (!t)
		return 12;
	e.msg[0] = '\0';
	if (deliver_chunks(t, msg, 1, &e) || deliver_exit_code(t) != FETCH_EXIT_IOERR ||
	    !strstr(e.msg, "Permission denied"))
		return 13;
	deliver_close(t);
	return 0;
}

static void permission_denied_is_an_io_error(void **s)
{
	int status;
	pid_t pid;

	(void)s;
	if (geteuid() != 0)
		skip();
	/* root ignores modes: a child that is nobody does not */
	assert_int_equal(mkdir(test_path("locked"), 0755), 0);
	assert_int_equal(chmod(test_dir, 0711), 0);
	pid = fork();
	if (pid == 0)
		_exit(unwritable_in_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	chmod(test_dir, 0700);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- MDA ------------------------------------------------------------------ */

static void mda_gets_the_message_on_stdin(void **s)
{
	char cmd[sizeof(test_dir) + 300];
	struct deliver_target *t;
	struct roam_error e;
	const char *chunks[] = { "Subject: m\r", "\n\r\nbody\r\n" };
	char *text;

	(void)s;
	snprintf(cmd, sizeof(cmd), "mda:cat >%s", test_path("mda.out"));
	t = deliver_open(cmd, &e);
	assert_non_null(t);
	assert_true(deliver_chunks(t, chunks, 2, &e));
	assert_true(deliver_sync(t, &e));
	deliver_close(t);
	text = test_slurp(test_path("mda.out"), NULL);
	assert_string_equal(text, "Subject: m\n\nbody\n");
	free(text);
}

static void mda_failure_is_delivery_error(void **s)
{
	static const char *const msg[] = { "Subject: f\r\n\r\nx\r\n" };
	struct deliver_target *t;
	struct roam_error e = { .msg = "" };

	(void)s;
	t = deliver_open("mda:false", &e);
	assert_non_null(t);
	assert_false(deliver_chunks(t, msg, 1, &e));
	assert_int_equal(deliver_exit_code(t), FETCH_EXIT_DELIVERY);
	assert_non_null(strstr(e.msg, "exit status 1"));
	deliver_close(t);
	t = deliver_open("mda:kill -TERM $$", &e);
	assert_false(deliver_chunks(t, msg, 1, &e));
	assert_non_null(strstr(e.msg, "signal 15"));
	deliver_close(t);
}

/* a big message to an MDA that never reads: its exit status decides */
static void mda_exiting_early_does_not_kill_us(void **s)
{
	static char big[256 * 1024];
	static const char *const cmds[] = { "mda:exec 0<&-; exit 0", "mda:exec 0<&-; exit 75" };
	struct roam_error e = { .msg = "" };

	(void)s;
	memset(big, 'p', sizeof(big));
	for (int c = 0; c < 2; c++) {
		struct deliver_target *t = deliver_open(cmds[c], &e);
		struct deliver_msg *m = deliver_begin(t, &e);

		assert_non_null(m);
		for (int i = 0; i < 16; i++)
			assert_true(deliver_write(m, big, sizeof(big), &e));
		assert_int_equal(deliver_commit(m, &e), c == 0);
		if (c == 1) {
			assert_int_equal(deliver_exit_code(t), FETCH_EXIT_DELIVERY);
			assert_non_null(strstr(e.msg, "exit status 75"));
		}
		deliver_close(t);
	}
}

static void mda_abort_delivers_nothing(void **s)
{
	char cmd[sizeof(test_dir) + 300];
	struct deliver_target *t;
	struct deliver_msg *m;
	struct roam_error e;

	(void)s;
	/* the MDA writes only once its stdin ends; abort must kill it first */
	snprintf(cmd, sizeof(cmd), "mda:m=$(cat); printf %%s \"$m\" >%s", test_path("aborted"));
	t = deliver_open(cmd, &e);
	m = deliver_begin(t, &e);
	assert_true(deliver_write(m, "Subject: a\r\n\r\npart", 19, &e));
	deliver_abort(m);
	deliver_close(t);
	assert_int_equal(access(test_path("aborted"), F_OK), -1);
}

/* A pipe whose write end only the MDA's processes hold (it is inherited, we
 * close ours): reading it to end of file waits, without a clock, until every
 * process the MDA started has exited, whether killed or finished. */
static int mda_watch(int *wfd)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	*wfd = p[1];
	return p[0];
}

static void mda_all_gone(int rfd)
{
	char c;

	while (read(rfd, &c, 1) > 0 || errno == EINTR)
		;
	close(rfd);
}

/* roam-fetch killed (SIGKILL, in a child) in the middle of a message: the
 * MDA, a pipeline that would file what it got at end of input, never starts,
 * so no part of a message is ever delivered as a whole one */
static void mda_never_sees_a_part(void **s)
{
	static char part[100 * 1024];
	char cmd[sizeof(test_dir) + 300];
	int status;
	pid_t pid;

	(void)s;
	memset(part, 'p', sizeof(part));
	snprintf(cmd, sizeof(cmd), "mda:cat | cat >%s", test_path("pipeline"));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct roam_error e = { .msg = "" };
		struct deliver_target *t = deliver_open(cmd, &e);
		struct deliver_msg *m = t ? deliver_begin(t, &e) : NULL;

		/* more than the output buffer: part of it has left the process */
		if (!m || !deliver_write(m, "Subject: p\r\n\r\n", 14, &e) ||
		    !deliver_write(m, part, sizeof(part), &e))
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(access(test_path("pipeline"), F_OK), -1);
}

/* a message is spooled (unlinked) in $TMPDIR, and a spool that cannot be
 * made is a local I/O error, before any MDA runs */
static void mda_spool_in_tmpdir(void **s)
{
	static const char *const msg[] = { "Subject: t\r\n\r\nx\r\n" };
	char cmd[sizeof(test_dir) + 300], *text;
	const char *old = getenv("TMPDIR");
	struct roam_error e = { .msg = "" };
	struct deliver_target *t;

	(void)s;
	snprintf(cmd, sizeof(cmd), "mda:cat >%s", test_path("spooled"));
	setenv("TMPDIR", test_path("no-such-dir"), 1);
	t = deliver_open(cmd, &e);
	assert_false(deliver_chunks(t, msg, 1, &e));
	assert_int_equal(deliver_exit_code(t), FETCH_EXIT_IOERR);
	assert_non_null(strstr(e.msg, "cannot spool the message in"));
	assert_int_equal(access(test_path("spooled"), F_OK), -1);
	deliver_close(t);
	setenv("TMPDIR", test_dir, 1);
	t = deliver_open(cmd, &e);
	assert_true(deliver_chunks(t, msg, 1, &e));
	deliver_close(t);
	text = test_slurp(test_path("spooled"), NULL);
	assert_string_equal(text, "Subject: t\n\nx\n");
	free(text);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
}

/* an MDA that stops reading, or does not exit once its input ended, is
 * killed with its group after `timeout`: a delivery failure */
static void mda_hanging_is_killed_after_the_timeout(void **s)
{
	static char big[1024 * 1024];
	static const char *const cmds[] = { "mda:sleep 600 | sleep 600",
					    "mda:cat >/dev/null; sleep 600 | sleep 600" };
	static const char *const why[] = { "read nothing for 1 s", "did not exit for 1 s" };

	(void)s;
	memset(big, 'h', sizeof(big));
	for (int c = 0; c < 2; c++) {
		struct roam_error e = { .msg = "" };
		struct deliver_target *t = deliver_open(cmds[c], &e);
		struct deliver_msg *m;
		bool wrote = true;
		int wfd, rfd = mda_watch(&wfd);

		assert_non_null(t);
		deliver_set_timeout(t, 1);
		m = deliver_begin(t, &e);
		assert_non_null(m);
		/* 4 MiB, into the spool */
		for (int i = 0; i < 4 && wrote; i++)
			wrote = deliver_write(m, big, sizeof(big), &e);
		assert_true(wrote);
		assert_false(deliver_commit(m, &e));
		close(wfd);
		assert_int_equal(deliver_exit_code(t), FETCH_EXIT_DELIVERY);
		assert_non_null(strstr(e.msg, why[c]));
		mda_all_gone(rfd);	/* returns only once the sleeps are gone too */
		deliver_close(t);
	}
}

/* ---- specs ------------------------------------------------------------------ */

static void bad_specs_say_why(void **s)
{
	static const char *const bad[] = { "", "maildir:", "mbox:", "mda:", "pop3:x", "Maildir" };
	struct roam_error e;

	(void)s;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e.msg[0] = '\0';
		assert_null(deliver_open(bad[i], &e));
		assert_non_null(strstr(e.msg, "delivery"));
	}
	e.msg[0] = '\0';
	assert_null(deliver_open(spec("maildir", "no/such/parent"), &e));
	assert_non_null(strstr(e.msg, "cannot create Maildir"));
}

static void tilde_is_home(void **s)
{
	struct deliver_target *t;
	struct roam_error e;
	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)s;
	setenv("HOME", test_dir, 1);
	t = deliver_open("maildir:~/homemail", &e);
	assert_non_null(t);
	deliver_close(t);
	assert_int_equal(access(test_path("homemail/new"), F_OK), 0);
	if (old)
		setenv("HOME", old, 1);
	free(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(crlf_split_at_every_position),
		cmocka_unit_test(crlf_one_byte_at_a_time),
		cmocka_unit_test(mbox_from_line_and_mboxrd_quoting),
		cmocka_unit_test(mbox_sender_defaults_to_mailer_daemon),
		cmocka_unit_test(mbox_repairs_a_missing_blank_line),
		cmocka_unit_test(mbox_abort_truncates_back),
		cmocka_unit_test(mbox_waits_for_no_stale_dotlock),
		cmocka_unit_test(mbox_waits_for_a_locking_reader),
		cmocka_unit_test(maildir_is_created_with_tmp_new_cur),
		cmocka_unit_test(maildir_names_unique_under_a_burst),
		cmocka_unit_test(commit_is_invisible_until_sync),
		cmocka_unit_test(abort_leaves_nothing),
		cmocka_unit_test(keyed_message_is_seen_by_later_runs),
		cmocka_unit_test(unsynced_or_unkeyed_is_not_seen),
		cmocka_unit_test(overlong_key_falls_back_to_a_plain_name),
		cmocka_unit_test(one_message_at_a_time),
		cmocka_unit_test(full_disk_fails_and_leaves_nothing),
		cmocka_unit_test(permission_denied_is_an_io_error),
		cmocka_unit_test(mda_gets_the_message_on_stdin),
		cmocka_unit_test(mda_failure_is_delivery_error),
		cmocka_unit_test(mda_exiting_early_does_not_kill_us),
		cmocka_unit_test(mda_abort_delivers_nothing),
		cmocka_unit_test(mda_never_sees_a_part),
		cmocka_unit_test(mda_spool_in_tmpdir),
		cmocka_unit_test(mda_hanging_is_killed_after_the_timeout),
		cmocka_unit_test(bad_specs_say_why),
		cmocka_unit_test(tilde_is_home),
	};

	return cmocka_run_group_tests_name("fetch_deliver", tests, setup, testdir_teardown);
}
