/* SPDX-License-Identifier: MIT */
/* roam-redirect: the command line over [redirect], and what a bad one leaves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../redirect/settings.h"

static char conf_path[] = "/tmp/roam-test-settings.XXXXXX";

static void write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	int fd = mkstemp(conf_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unlink(conf_path);
}

/* parses argv (NULL-terminated, program name first) */
static enum settings_cli parse(struct redirect_settings *s, struct roam_error *e, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, e);
	argv[argc++] = (char *)"roam-redirect";
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	optind = 0;	/* glibc: restart getopt */
	return redirect_settings_parse(s, argc, argv, e);
}

static void defaults_without_keys(void **state)
{
	struct redirect_settings s;
	struct roam_error e;

	(void)state;
	write_conf("[redirect]\n");
	assert_int_equal(parse(&s, &e, "-c", conf_path, NULL), SETTINGS_RUN);
	assert_true(redirect_settings_load(&s, &e));
	assert_null(s.target);
	assert_null(s.alive);
	assert_null(s.away);
	assert_int_equal(s.max_age, 120);
	assert_int_equal(s.deadline, 500);
	assert_int_equal(s.max_size, 0);
	assert_string_equal(s.state_dir, "/var/lib/roam");
	assert_string_equal(s.method, "auto");
	assert_int_equal(s.nskip, 0);
	redirect_settings_free(&s);
}

static void keys_are_read(void **state)
{
	struct redirect_settings s;
	struct roam_error e;

	(void)state;
	write_conf("[probe]\n[redirect]\ntarget = 198.51.100.180\nalive = user@laptop\n"
		   "away = user\nmax_age = 60\ndeadline = 250\nstate_dir = /run/roam\n"
		   "loop_header = X-Loop: roam@example.net\n"
		   "skip_from = *@lists.example.net, mailer-daemon*\nskip_from = root@*\n"
		   "max_size = 1000000\nmethod = tcp:22\n");
	assert_int_equal(parse(&s, &e, "-c", conf_path, NULL), SETTINGS_RUN);
	assert_true(redirect_settings_load(&s, &e));
	assert_string_equal(s.target, "198.51.100.180");
	assert_string_equal(s.alive, "user@laptop");
	assert_string_equal(s.away, "user");
	assert_int_equal(s.max_age, 60);
	assert_int_equal(s.deadline, 250);
	assert_string_equal(s.state_dir, "/run/roam");
	assert_string_equal(s.loop_header, "X-Loop: roam@example.net");
	assert_int_equal(s.nskip, 3);
	assert_string_equal(s.skip_from[2], "root@*");
	assert_int_equal(s.max_size, 1000000);
	assert_string_equal(s.method, "tcp:22");
	redirect_settings_free(&s);
}

static void command_line_wins(void **state)
{
	struct redirect_settings s;
	struct roam_error e;

	(void)state;
	write_conf("[redirect]\ntarget = 198.51.100.180\nalive = a@laptop\naway = a\n"
		   "max_age = 60\ndeadline = 250\n");
	assert_int_equal(parse(&s, &e, "-c", conf_path, "--target", "203.0.113.230",
			       "--alive", "b@laptop", "--away", "b", "--max-age", "5",
			       "--deadline", "7", "--state-dir", "/tmp", "-v", "-v", NULL),
			 SETTINGS_RUN);
	assert_true(redirect_settings_load(&s, &e));
	assert_string_equal(s.target, "203.0.113.230");
	assert_string_equal(s.alive, "b@laptop");
	assert_string_equal(s.away, "b");
	assert_int_equal(s.max_age, 5);
	assert_int_equal(s.deadline, 7);
	assert_string_equal(s.state_dir, "/tmp");
	assert_int_equal(s.verbosity, 2);
	redirect_settings_free(&s);
}

static void bad_config_keeps_the_command_line_away(void **state)
{
	static const char *const bad[] = {
		"[redirect]\ntagret = 198.51.100.180\n", "[redirect]\nmax_age = 0\n",
		"[redirect]\ntarget = 198.51.100\n", "[redirect]\naway = a\naway = b\n",
		"[nosuch]\nx = 1\n", "target = 198.51.100.180\n", "[redirect\n",
	};
	struct redirect_settings s;
	struct roam_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		write_conf(bad[i]);
		assert_int_equal(parse(&s, &e, "-c", conf_path, "--away", "b", NULL), SETTINGS_RUN);
		e.msg[0] = '\0';
		assert_false(redirect_settings_load(&s, &e));
		assert_non_null(strstr(e.msg, conf_path));
		assert_string_equal(s.away, "b");
		redirect_settings_free(&s);
	}
	assert_int_equal(parse(&s, &e, "-c", "/nonexistent/roam.conf", NULL), SETTINGS_RUN);
	assert_false(redirect_settings_load(&s, &e));
	assert_null(s.away);
	redirect_settings_free(&s);
}

static void bad_command_lines(void **state)
{
	struct redirect_settings s;
	struct roam_error e;

	(void)state;
	assert_int_equal(parse(&s, &e, "--max-age", "0", NULL), SETTINGS_BAD);
	assert_non_null(strstr(e.msg, "--max-age"));
	assert_int_equal(parse(&s, &e, "--deadline", "soon", NULL), SETTINGS_BAD);
	assert_int_equal(parse(&s, &e, "--target", "laptop", NULL), SETTINGS_BAD);
	assert_int_equal(parse(&s, &e, "--away", "", NULL), SETTINGS_BAD);
	assert_int_equal(parse(&s, &e, "--bogus", NULL), SETTINGS_BAD);
	assert_non_null(strstr(e.msg, "--bogus"));
	assert_int_equal(parse(&s, &e, "extra", NULL), SETTINGS_BAD);
	assert_int_equal(parse(&s, &e, "-c", NULL), SETTINGS_BAD);
	/* what was read before the bad option still counts */
	assert_int_equal(parse(&s, &e, "--away", "b", "-v", "--max-age", "x", NULL), SETTINGS_BAD);
	assert_string_equal(s.cli[OPT_AWAY], "b");
	assert_int_equal(s.verbosity, 1);
	assert_int_equal(parse(&s, &e, "--help", NULL), SETTINGS_HELP);
	assert_int_equal(parse(&s, &e, "--version", NULL), SETTINGS_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_without_keys),
		cmocka_unit_test(keys_are_read),
		cmocka_unit_test(command_line_wins),
		cmocka_unit_test(bad_config_keeps_the_command_line_away),
		cmocka_unit_test(bad_command_lines),
	};

	return cmocka_run_group_tests_name("redirect settings", tests, setup, teardown);
}
