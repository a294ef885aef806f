/* SPDX-License-Identifier: MIT */
/* roam-redirect: the loop and sender rules on the header, and reading stdin. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../redirect/header.h"
#include "../../redirect/input.h"

static const char *const skip[] = { "*@lists.example.net", "mailer-daemon*" };

static void rules(struct header_rules *r)
{
	assert_true(header_rules_init(r, "X-Loop: roam@example.net", skip, 2, NULL));
}

/* feeds len bytes of msg in pieces of `step` bytes; returns the header length consumed */
static size_t scan_bytes(const char *msg, size_t len, size_t step, struct header_scan *h,
			 const struct header_rules *r)
{
	size_t used = 0;

	header_scan_init(h, r);
	for (size_t off = 0; off < len && !h->done; off += step) {
		size_t n = len - off < step ? len - off : step, k = header_scan_feed(h, msg + off, n);

		used += k;
		if (k < n)
			break;
	}
	header_scan_finish(h);
	return used;
}

static size_t scan_msg(const char *msg, size_t step, struct header_scan *h,
		       const struct header_rules *r)
{
	return scan_bytes(msg, strlen(msg), step, h, r);
}

/* the verdict for len bytes of msg must not depend on how they are cut into pieces */
static bool matches_bytes(const char *msg, size_t len)
{
	struct header_rules r;
	struct header_scan h;
	bool first;

	rules(&r);
	scan_bytes(msg, len, len + 1, &h, &r);
	first = h.matched;
	for (size_t step = 1; step < 8; step++) {
		scan_bytes(msg, len, step, &h, &r);
		assert_int_equal(h.matched, first);
	}
	return first;
}

static bool matches(const char *msg)
{
	return matches_bytes(msg, strlen(msg));
}

/* a literal with NULs inside: its length without the terminator */
#define MATCHES_NUL(lit) matches_bytes(lit, sizeof(lit) - 1)

static void loop_header_matches(void **state)
{
	(void)state;
	assert_true(matches("Subject: x\nX-Loop: roam@example.net\n\nbody\n"));
	assert_true(matches("x-loop:ROAM@Example.NET  \n\nbody\n"));
	assert_true(matches("X-Loop :\troam@example.net\n\n"));
	assert_false(matches("X-Loop: other@example.net\n\nbody\n"));
	assert_false(matches("X-Looping: roam@example.net\n\n"));
	assert_false(matches("Subject: X-Loop: roam@example.net\n\n"));
}

static void folded_lines_are_unfolded(void **state)
{
	(void)state;
	assert_true(matches("Subject: a\nX-Loop:\n roam@example.net\nTo: b\n\n"));
	assert_true(matches("From: A Long\n\tName <someone@lists.example.net>\n\n"));
	/* a continuation of another field is not a field of its own */
	assert_false(matches("Subject: a\n X-Loop: roam@example.net\n\n"));
}

static void crlf_is_accepted(void **state)
{
	const char *msg = "Subject: a\r\nX-Loop: roam@example.net\r\n\r\nbody\r\n";
	const char *clean = "Subject: a\r\nTo: b\r\n\r\nbody\r\n";
	struct header_rules r;
	struct header_scan h;

	(void)state;
	assert_true(matches(msg));
	rules(&r);
	assert_int_equal(scan_msg(clean, 1000, &h, &r), strstr(clean, "body") - clean);
	assert_false(h.matched);
}

static void body_is_never_read(void **state)
{
	const char *msg = "Subject: a\n\nX-Loop: roam@example.net\nFrom: x@lists.example.net\n";
	struct header_rules r;
	struct header_scan h;

	(void)state;
	assert_false(matches(msg));
	rules(&r);
	assert_int_equal(scan_msg(msg, 1000, &h, &r), strlen("Subject: a\n\n"));
	assert_false(matches("\nX-Loop: roam@example.net\n"));	/* empty header */
}

static void header_without_body(void **state)
{
	(void)state;
	assert_true(matches("Subject: a\nX-Loop: roam@example.net"));
	assert_true(matches("X-Loop: roam@example.net\n"));
	assert_false(matches(""));
}

static void senders_are_matched(void **state)
{
	(void)state;
	assert_true(matches("From list@lists.example.net  Wed Nov 25 16:40:00 2026\nSubject: a\n\n"));
	assert_true(matches("From MAILER-DAEMON Wed Nov 25 16:40:00 2026\n\n"));
	assert_true(matches("From: \"L\" <news@LISTS.example.net>\n\n"));
	assert_true(matches("From: news@lists.example.net (The List)\n\n"));
	assert_false(matches("From: friend@example.net\n\n"));
	/* "From " counts only as procmail's first line */
	assert_false(matches("Subject: a\nFrom list@lists.example.net x\n\n"));
}

/* A NUL is one byte of the line like any other: it neither ends the value
 * (hiding the rest from the rules) nor vanishes. */
static void nul_bytes_do_not_end_a_line(void **state)
{
	static const char logged[] = "From: <a\0b@lists.example.net>\n\n";
	struct header_rules r;
	struct header_scan h;

	(void)state;
	/* what follows the NUL is still the sender */
	assert_true(MATCHES_NUL("From: News\0 <news@lists.example.net>\n\n"));
	assert_true(MATCHES_NUL("From: \0news@lists.example.net\n\n"));
	assert_true(MATCHES_NUL("From \0list@lists.example.net Wed Nov 25 16:40:00 2026\n\n"));
	assert_true(MATCHES_NUL("Subject: \0\nFrom: <a\0b@lists.example.net>\n\n"));
	/* a '*' of a pattern matches the NUL as it would any byte */
	assert_true(MATCHES_NUL("From: mailer-daemon\0@example.net\n\n"));
	/* no literal of a pattern does */
	assert_false(MATCHES_NUL("From: x@lists.example\0net\n\n"));
	/* the loop line: compared on all its bytes */
	assert_true(MATCHES_NUL("Subject: a\0b\nX-Loop: roam@example.net\n\n"));
	assert_false(MATCHES_NUL("X-Loop: roam@example.net\0other\n\n"));
	assert_false(MATCHES_NUL("X-Loop\0: roam@example.net\n\n"));
	assert_false(MATCHES_NUL("X-Loop: roam\0@example.net\n\n"));
	/* the log shows the NUL, escaped */
	rules(&r);
	scan_bytes(logged, sizeof(logged) - 1, 100, &h, &r);
	assert_true(h.matched);
	assert_non_null(strstr(h.reason, "'a\\x00b@lists.example.net'"));
}

static void rules_parse(void **state)
{
	static const char *const bad[] = { "X-Loop", ": roam@example.net", "X Loop: a", "" };
	struct header_rules r;
	struct roam_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		e.msg[0] = '\0';
		assert_false(header_rules_init(&r, bad[i], NULL, 0, &e));
		assert_non_null(strstr(e.msg, "loop_header"));
	}
	assert_true(header_rules_init(&r, NULL, NULL, 0, NULL));
	assert_true(header_rules_empty(&r));
	/* "X-Loop:" alone: any X-Loop field */
	assert_true(header_rules_init(&r, "X-Loop:", NULL, 0, NULL));
	assert_string_equal(r.loop_name, "X-Loop");
	assert_string_equal(r.loop_value, "");
}

/* a message with a header of hbytes filler fields, then last, then a body */
static char *big_message(size_t hbytes, const char *last, size_t *len)
{
	size_t cap = hbytes + 4096, n = 0;
	char *m = malloc(cap);

	assert_non_null(m);
	while (n < hbytes)
		n += (size_t)sprintf(m + n, "Received: from relay%zu.example.net by mx\n", n);
	n += (size_t)sprintf(m + n, "%s\n\nbody X-Loop: roam@example.net\n", last);
	*len = n;
	return m;
}

/* header (when scan) and body to EOF, as roam-redirect reads them */
static bool read_input(int fd, struct header_scan *scan, unsigned long long *size)
{
	int64_t until = redirect_now_ms() + 60000;

	*size = 0;
	if (scan && redirect_read_header(fd, scan, size, until, NULL) != INPUT_DONE)
		return false;
	return redirect_drain(fd, size, until, NULL) == INPUT_DONE;
}

/* a pipe fed by a child, as procmail feeds us */
static int pipe_from_child(const char *data, size_t len, pid_t *pid)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		close(p[0]);
		while (len > 0) {
			ssize_t w = write(p[1], data, len);

			if (w <= 0)
				_exit(1);
			data += w;
			len -= (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void read_one(const char *msg, size_t len, bool through_pipe, bool want_match)
{
	struct header_rules r;
	struct header_scan h;
	unsigned long long size;
	char path[] = "/tmp/roam-test-input.XXXXXX";
	int status, fd;
	pid_t pid = -1;

	rules(&r);
	header_scan_init(&h, &r);
	if (through_pipe) {
		fd = pipe_from_child(msg, len, &pid);
	} else {
		fd = mkstemp(path);
		assert_true(fd >= 0);
		unlink(path);
		assert_int_equal(write(fd, msg, len), (ssize_t)len);
		lseek(fd, 0, SEEK_SET);
	}
	assert_true(read_input(fd, &h, &size));
	assert_int_equal(size, len);
	assert_int_equal(h.matched, want_match);
	close(fd);
	if (pid > 0) {
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);	/* no SIGPIPE */
	}
}

static void header_larger_than_the_buffer(void **state)
{
	size_t len;
	char *yes = big_message(300 * 1024, "X-Loop: roam@example.net", &len);

	(void)state;
	read_one(yes, len, true, true);
	read_one(yes, len, false, true);
	free(yes);
	yes = big_message(300 * 1024, "Subject: no loop here", &len);
	read_one(yes, len, true, false);
	read_one(yes, len, false, false);
	free(yes);
}

static void whole_input_is_drained(void **state)
{
	size_t len = 5 * 1024 * 1024 + 17;
	char *m = malloc(len + 1);
	unsigned long long size;
	pid_t pid;
	int fd, status;

	(void)state;
	assert_non_null(m);
	memset(m, 'x', len);
	memcpy(m, "Subject: a\n\n", 12);
	read_one(m, len, true, false);
	/* no rules: straight to the drain */
	fd = pipe_from_child(m, len, &pid);
	assert_true(read_input(fd, NULL, &size));
	assert_int_equal(size, len);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(m);
}

static void closed_input_is_empty(void **state)
{
	unsigned long long size = 99;
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	assert_true(fd >= 0);
	close(fd);	/* fd is now a closed descriptor */
	assert_true(read_input(fd, NULL, &size));
	assert_int_equal(size, 0);
}

/* A writer that never closes: reading stops at `until`, header or body,
 * with what came counted. */
static void a_writer_that_never_closes(void **state)
{
	static const char part[] = "Subject: a\n";
	struct header_rules r;
	struct header_scan h;
	unsigned long long size = 0;
	int p[2], sp[2];
	int64_t t0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], part, strlen(part)), (ssize_t)strlen(part));
	rules(&r);
	header_scan_init(&h, &r);
	t0 = redirect_now_ms();
	assert_int_equal(redirect_read_header(p[0], &h, &size, t0 + 200, NULL), INPUT_TIMEOUT);
	assert_true(redirect_now_ms() - t0 >= 200);
	assert_int_equal(size, strlen(part));
	assert_false(h.done);
	/* the body: spliced from the pipe until the time is up */
	assert_int_equal(write(p[1], "\nbody\n", 6), 6);
	t0 = redirect_now_ms();
	assert_int_equal(redirect_drain(p[0], &size, t0 + 200, NULL), INPUT_TIMEOUT);
	assert_true(redirect_now_ms() - t0 >= 200);
	assert_int_equal(size, strlen(part) + 6);
	/* and read(), for a stdin that is no pipe: a socket */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(write(sp[1], "xyz", 3), 3);
	size = 0;
	t0 = redirect_now_ms();
	assert_int_equal(redirect_drain(sp[0], &size, t0 + 200, NULL), INPUT_TIMEOUT);
	assert_true(redirect_now_ms() - t0 >= 200);
	assert_int_equal(size, 3);
	/* a time already passed still takes what is there */
	close(sp[1]);
	assert_int_equal(redirect_drain(sp[0], &size, t0, NULL), INPUT_DONE);
	close(sp[0]);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loop_header_matches),
		cmocka_unit_test(folded_lines_are_unfolded),
		cmocka_unit_test(crlf_is_accepted),
		cmocka_unit_test(body_is_never_read),
		cmocka_unit_test(header_without_body),
		cmocka_unit_test(senders_are_matched),
		cmocka_unit_test(nul_bytes_do_not_end_a_line),
		cmocka_unit_test(rules_parse),
		cmocka_unit_test(header_larger_than_the_buffer),
		cmocka_unit_test(whole_input_is_drained),
		cmocka_unit_test(closed_input_is_empty),
		cmocka_unit_test(a_writer_that_never_closes),
	};

	return cmocka_run_group_tests_name("redirect header and input", tests, NULL, NULL);
}
