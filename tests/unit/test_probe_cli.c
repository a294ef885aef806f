/* SPDX-License-Identifier: MIT */
/* roam-probe's own logic: argument parsing, config + command-line merging,
 * target parsing and de-duplication, hysteresis. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../probe/cli.h"
#include "../../probe/hyst.h"
#include "../../probe/output.h"
#include "../../probe/settings.h"
#include "../../probe/targets.h"

#define ARGV(...) (char *[]){ "roam-probe", __VA_ARGS__, NULL }

static enum probe_cli_result parse(char **argv, struct probe_cli *cli, struct roam_error *e)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return probe_cli_parse(argc, argv, cli, e);
}

static void parses_options_and_targets(void **state)
{
	char **v = ARGV("-k", "5", "-t", "200", "-m", "tcp:2525", "--state-dir", "/tmp/x",
			"--json", "-v", "-v", "--watch", "-i", "7", "--hysteresis", "2",
			"198.51.100.180", "198.51.100.1");
	struct probe_cli cli;

	(void)state;
	assert_int_equal(parse(v, &cli, NULL), PROBE_CLI_RUN);
	assert_string_equal(cli.key[PROBE_OPT_COUNT], "5");
	assert_string_equal(cli.key[PROBE_OPT_TIMEOUT], "200");
	assert_string_equal(cli.key[PROBE_OPT_METHOD], "tcp:2525");
	assert_string_equal(cli.key[PROBE_OPT_STATE_DIR], "/tmp/x");
	assert_string_equal(cli.key[PROBE_OPT_INTERVAL], "7");
	assert_string_equal(cli.key[PROBE_OPT_HYSTERESIS], "2");
	assert_true(cli.json);
	assert_true(cli.watch);
	assert_int_equal(cli.verbosity, 2);
	assert_int_equal(cli.ntargets, 2);
	assert_string_equal(cli.targets[0], "198.51.100.180");
	assert_string_equal(probe_cli_key_name(PROBE_OPT_TCP_PORT), "tcp_port");
}

static void help_version_and_errors(void **state)
{
	struct probe_cli cli;
	struct roam_error e;
	char **h = ARGV("--help"), **ver = ARGV("-V"), **bad = ARGV("--bogus"),
	     **miss = ARGV("-k"), **shortbad = ARGV("-Z"), **iw = ARGV("-i", "5", "x"),
	     **qj = ARGV("-q", "--json");

	(void)state;
	assert_int_equal(parse(h, &cli, &e), PROBE_CLI_HELP);
	assert_int_equal(parse(ver, &cli, &e), PROBE_CLI_VERSION);
	assert_int_equal(parse(bad, &cli, &e), PROBE_CLI_ERROR);
	assert_non_null(strstr(e.msg, "--bogus"));
	assert_int_equal(parse(miss, &cli, &e), PROBE_CLI_ERROR);
	assert_non_null(strstr(e.msg, "-k"));
	assert_non_null(strstr(e.msg, "needs an argument"));
	assert_int_equal(parse(shortbad, &cli, &e), PROBE_CLI_ERROR);
	assert_non_null(strstr(e.msg, "-Z"));
	assert_int_equal(parse(iw, &cli, &e), PROBE_CLI_ERROR);
	assert_non_null(strstr(e.msg, "--watch"));
	assert_int_equal(parse(qj, &cli, &e), PROBE_CLI_ERROR);
}

static char conf_path[64];

static void write_conf(const char *text)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/test_probe_cli.XXXXXX");
	fd = mkstemp(conf_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void command_line_overrides_config(void **state)
{
	struct probe_settings s;
	struct probe_cli cli;
	struct roam_error e;
	char **v = ARGV("-c", "PATH", "-k", "7");

	(void)state;
	write_conf("[probe]\ntarget = 198.51.100.180, 203.0.113.230\ntarget = 192.0.2.20\n"
		   "count = 2\ntimeout = 400\nmethod = tcp\ntcp_port = 2525\n"
		   "state_dir = /tmp/s\n[redirect]\nmax_age = 60\n");
	v[2] = conf_path;
	assert_int_equal(parse(v, &cli, &e), PROBE_CLI_RUN);
	assert_true(probe_settings_load(&cli, &s, &e));
	assert_int_equal(s.opts.count, 7);		/* command line */
	assert_int_equal(s.opts.deadline_ms, 400);	/* file */
	assert_int_equal(s.opts.methods[0], ROAM_PROBE_TCP);
	assert_int_equal(s.opts.methods[1], ROAM_PROBE_NONE);
	assert_int_equal(s.opts.tcp_port, 2525);
	assert_string_equal(s.state_dir, "/tmp/s");
	assert_int_equal(s.max_age_s, 60);
	assert_int_equal(s.interval_s, 30);		/* default */
	assert_int_equal(s.hysteresis, 1);
	assert_int_equal(s.ntargets, 3);
	assert_string_equal(s.targets[2], "192.0.2.20");
	probe_settings_free(&s);
	unlink(conf_path);
}

static void bad_values_name_their_source(void **state)
{
	struct probe_settings s;
	struct probe_cli cli;
	struct roam_error e;
	char **v = ARGV("-c", "PATH"), **k0 = ARGV("-c", "PATH", "-k", "0"),
	     **m = ARGV("-c", "PATH", "-m", "udp");

	(void)state;
	write_conf("[probe]\nmethod = tcp:99999\n");
	v[2] = conf_path;
	assert_int_equal(parse(v, &cli, &e), PROBE_CLI_RUN);
	assert_false(probe_settings_load(&cli, &s, &e));
	assert_non_null(strstr(e.msg, conf_path));
	assert_non_null(strstr(e.msg, ":2"));
	assert_non_null(strstr(e.msg, "tcp:99999"));
	unlink(conf_path);
	write_conf("[probe]\ncount = 3\n");
	k0[2] = conf_path;
	m[2] = conf_path;
	assert_int_equal(parse(k0, &cli, &e), PROBE_CLI_RUN);
	assert_false(probe_settings_load(&cli, &s, &e));
	assert_non_null(strstr(e.msg, "command line"));
	assert_int_equal(parse(m, &cli, &e), PROBE_CLI_RUN);
	assert_false(probe_settings_load(&cli, &s, &e));
	assert_non_null(strstr(e.msg, "udp"));
	unlink(conf_path);
}

static void targets_are_checked_and_deduplicated(void **state)
{
	char *names[] = { "198.51.100.180", "2001:db8::1", "198.51.100.1", "1.2.3",
			  "198.51.100.180", "224.0.0.1", "0.1.2.3", "255.255.255.255", "",
			  "-x", "192.0.2.20" };
	struct probe_target *t;
	size_t n, nbad;

	(void)state;
	assert_true(probe_targets_resolve(names, sizeof(names) / sizeof(*names), &t, &n, &nbad,
					  NULL, NULL, NULL));
	assert_int_equal(nbad, 7);
	assert_int_equal(n, 3);
	assert_string_equal(t[0].name, "198.51.100.180");
	assert_string_equal(t[1].name, "198.51.100.1");
	assert_string_equal(t[2].name, "192.0.2.20");
	free(t);
}

static void target_errors_are_clear(void **state)
{
	struct in_addr a;
	char why[256];

	(void)state;
	assert_false(probe_target_parse("2001:db8::1", &a, why, sizeof(why)));
	assert_non_null(strstr(why, "IPv6"));
	assert_false(probe_target_parse("198.51.100.256", &a, why, sizeof(why)));
	assert_non_null(strstr(why, "dotted-quad"));
	assert_false(probe_target_parse("no-such-host.invalid", &a, why, sizeof(why)));
	assert_non_null(strstr(why, "cannot resolve"));
	assert_true(probe_target_parse("localhost", &a, why, sizeof(why)));
	assert_int_equal(ntohl(a.s_addr) >> 24, 127);
}

static void hysteresis_needs_agreeing_passes(void **state)
{
	struct probe_hyst h = { 0 };

	(void)state;
	assert_true(probe_hyst_step(&h, true, 3));	/* first decision */
	assert_true(h.alive);
	assert_false(probe_hyst_step(&h, false, 3));
	assert_false(probe_hyst_step(&h, false, 3));
	assert_false(probe_hyst_step(&h, true, 3));	/* the streak breaks */
	assert_false(probe_hyst_step(&h, false, 3));
	assert_false(probe_hyst_step(&h, false, 3));
	assert_true(h.alive);
	assert_true(probe_hyst_step(&h, false, 3));	/* third in a row */
	assert_false(h.alive);
	assert_false(probe_hyst_step(&h, false, 3));
	assert_true(probe_hyst_step(&h, true, 1));	/* need 1: follows each pass */
	assert_true(probe_hyst_step(&h, false, 0));	/* 0 acts as 1 */
}

static char *print_to_string(const struct probe_result *r, bool json)
{
	static char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	assert_true(probe_print(f, r, json));
	fclose(f);
	return buf;
}

static void prints_lines_and_json(void **state)
{
	struct probe_result r = { .name = "198.51.100.180", .address = "198.51.100.180",
				  .alive = true, .answered = true, .rtt_us = 420,
				  .method = "icmp", .checked = 1764000030, .since = 1764000000 };
	char label[16];

	(void)state;
	assert_string_equal(print_to_string(&r, false), "198.51.100.180 is alive (0.42 ms, icmp)\n");
	assert_string_equal(print_to_string(&r, true),
			    "{\"target\":\"198.51.100.180\",\"address\":\"198.51.100.180\","
			    "\"state\":\"alive\",\"rtt_ms\":0.420,\"method\":\"icmp\","
			    "\"checked\":1764000030,\"since\":1764000000}\n");
	r = (struct probe_result){ .name = "host\"\\\x01x", .address = "203.0.113.230",
				   .method = "tcp:25", .checked = 5, .since = 5 };
	assert_string_equal(print_to_string(&r, false), "host\"\\\x01x is unreachable\n");
	assert_string_equal(print_to_string(&r, true),
			    "{\"target\":\"host\\\"\\\\\\u0001x\",\"address\":\"203.0.113.230\","
			    "\"state\":\"dead\",\"rtt_ms\":null,\"method\":\"tcp:25\","
			    "\"checked\":5,\"since\":5}\n");
	/* held alive by hysteresis, no answer this pass */
	r.alive = true;
	assert_string_equal(print_to_string(&r, false), "host\"\\\x01x is alive (tcp:25)\n");
	probe_method_label(ROAM_PROBE_TCP, 2525, label, sizeof(label));
	assert_string_equal(label, "tcp:2525");
	probe_method_label(ROAM_PROBE_DGRAM, 2525, label, sizeof(label));
	assert_string_equal(label, "dgram");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_options_and_targets),
		cmocka_unit_test(help_version_and_errors),
		cmocka_unit_test(command_line_overrides_config),
		cmocka_unit_test(bad_values_name_their_source),
		cmocka_unit_test(targets_are_checked_and_deduplicated),
		cmocka_unit_test(target_errors_are_clear),
		cmocka_unit_test(hysteresis_needs_agreeing_passes),
		cmocka_unit_test(prints_lines_and_json),
	};

	return cmocka_run_group_tests_name("probe_cli", tests, NULL, NULL);
}
