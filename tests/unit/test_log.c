/* SPDX-License-Identifier: MIT */
/* lib/log: where each message goes at each verbosity (stderr is a pipe here,
 * so "not a terminal" is the real case, not a simulation). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static int saved_stderr = -1;
static int pipefd[2];

/* points stderr at a fresh pipe; returns what was written since */
static void capture(void)
{
	fflush(stderr);
	assert_int_equal(pipe2(pipefd, O_NONBLOCK), 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(pipefd[1], STDERR_FILENO);
}

static const char *captured(void)
{
	static char buf[4096];
	ssize_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(pipefd[1]);
	n = read(pipefd[0], buf, sizeof(buf) - 1);
	close(pipefd[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void verbose_goes_to_stderr_with_ident(void **state)
{
	(void)state;
	capture();
	roam_log_init("roam-test", ROAM_VERBOSE, 0);
	roam_info("probing %d targets", 3);
	roam_debug("not shown at -v");
	assert_string_equal(captured(), "roam-test: probing 3 targets\n");
}

static void debug_level_shows_debug(void **state)
{
	(void)state;
	capture();
	roam_log_init("roam-test", ROAM_DEBUG, 0);
	roam_debug("detail");
	assert_string_equal(captured(), "roam-test: detail\n");
}

static void not_a_terminal_means_syslog_but_errors_still_on_stderr(void **state)
{
	(void)state;
	capture();
	roam_log_init("roam-test", ROAM_NORMAL, ROAM_LOG_ERRORS_TO_STDERR);
	roam_notice("to syslog only");
	roam_err("/etc/roam.conf:12: unknown key 'tagret' in [probe]");
	assert_string_equal(captured(),
			    "roam-test: /etc/roam.conf:12: unknown key 'tagret' in [probe]\n");
}

static void without_the_flag_errors_stay_off_stderr(void **state)
{
	(void)state;
	capture();
	roam_log_init("roam-test", ROAM_NORMAL, 0);
	roam_err("procmail's log stays clean");
	assert_string_equal(captured(), "");
}

static void quiet_keeps_only_errors(void **state)
{
	(void)state;
	roam_log_init("roam-test", ROAM_QUIET, 0);
	assert_true(roam_log_enabled(LOG_ERR));
	assert_false(roam_log_enabled(LOG_WARNING));
	roam_log_init("roam-test", ROAM_NORMAL, 0);
	assert_true(roam_log_enabled(LOG_NOTICE));
	assert_false(roam_log_enabled(LOG_INFO));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(verbose_goes_to_stderr_with_ident),
		cmocka_unit_test(debug_level_shows_debug),
		cmocka_unit_test(not_a_terminal_means_syslog_but_errors_still_on_stderr),
		cmocka_unit_test(without_the_flag_errors_stay_off_stderr),
		cmocka_unit_test(quiet_keeps_only_errors),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
