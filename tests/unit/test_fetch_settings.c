/* SPDX-License-Identifier: MIT */
/* fetch/settings + forward_parse: the command line, [fetch] keys and defaults. */
#include <arpa/inet.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../fetch/forward.h"
#include "../../fetch/settings.h"
#include "testdir.h"

static char conf[sizeof(test_dir) + 16];

static int setup(void **s)
{
	if (testdir_setup(s) < 0)
		return -1;
	snprintf(conf, sizeof(conf), "%s/roam.conf", test_dir);
	setenv("HOME", test_dir, 1);
	setenv("USER", "alice", 1);
	return 0;
}

/* argv from a NULL-terminated list; getopt restarts with optind = 0 */
static bool parse(struct settings *st, struct roam_error *e, ...)
{
	char *argv[16] = { "roam-fetch" };
	int argc = 1;
	va_list ap;

	va_start(ap, e);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(st, 0, sizeof(*st));
	optind = 0;
	return settings_parse_args(st, argc, argv, e);
}

static void test_args(void **s)
{
	struct settings st;
	struct roam_error e;

	(void)s;
	assert_true(parse(&st, &e, "-k", "--maildir", "/srv/mail", "-vv", NULL));
	assert_true(st.keep && st.keep_set);
	assert_string_equal(st.deliver_opt, "maildir:/srv/mail");
	assert_int_equal(st.verbosity, 2);
	settings_free(&st);
	assert_true(parse(&st, &e, "--mda", "procmail -d alice", "--check", "-q", NULL));
	assert_string_equal(st.deliver_opt, "mda:procmail -d alice");
	assert_true(st.check);
	assert_int_equal(st.verbosity, -1);
	settings_free(&st);
	assert_true(parse(&st, &e, "--forward", "1100", "-c", "/x.conf", NULL));
	assert_string_equal(st.forward, "1100");
	assert_string_equal(st.config, "/x.conf");
	settings_free(&st);
}

static void test_bad_args(void **s)
{
	struct settings st;
	struct roam_error e;

	(void)s;
	assert_false(parse(&st, &e, "--maildir", "a", "--mbox", "b", NULL));
	assert_non_null(strstr(e.msg, "exclude"));
	settings_free(&st);
	assert_false(parse(&st, &e, "--forward", "1100", "--check", NULL));
	settings_free(&st);
	assert_false(parse(&st, &e, "--password", "x", NULL));
	assert_non_null(strstr(e.msg, "--password"));
	settings_free(&st);
	assert_false(parse(&st, &e, "stray", NULL));
	settings_free(&st);
	assert_false(parse(&st, &e, "-c", NULL));
	settings_free(&st);
}

static void test_forward_parse(void **s)
{
	struct forward_spec sp;
	struct roam_error e;
	char a[INET_ADDRSTRLEN], long_path[200];

	(void)s;
	assert_true(forward_parse("1100", &sp, &e));
	assert_false(sp.is_unix);
	assert_string_equal(inet_ntop(AF_INET, &sp.in.sin_addr, a, sizeof(a)), "127.0.0.1");
	assert_int_equal(ntohs(sp.in.sin_port), 1100);
	assert_true(forward_parse("198.51.100.7:2110", &sp, &e));
	assert_string_equal(inet_ntop(AF_INET, &sp.in.sin_addr, a, sizeof(a)), "198.51.100.7");
	assert_int_equal(ntohs(sp.in.sin_port), 2110);
	assert_false(forward_parse("0", &sp, &e));
	assert_false(forward_parse("65536", &sp, &e));
	assert_false(forward_parse("mailgw:110", &sp, &e));
	assert_false(forward_parse("198.51.100:110", &sp, &e));
	assert_false(forward_parse("", &sp, &e));
	assert_true(forward_parse("unix:/run/user/1000/roam/pop3", &sp, &e));
	assert_true(sp.is_unix);
	assert_string_equal(sp.path, "/run/user/1000/roam/pop3");
	assert_true(forward_parse("unix:pop3.sock", &sp, &e));
	assert_false(forward_parse("unix:", &sp, &e));
	assert_false(forward_parse("unix:/run/roam/", &sp, &e));
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	memcpy(long_path, "unix:/", 6);
	assert_false(forward_parse(long_path, &sp, &e));
	assert_non_null(strstr(e.msg, "characters"));
}

static void write_conf(const char *text)
{
	FILE *f = fopen(conf, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load_defaults(void **s)
{
	struct settings st;
	struct roam_error e;
	char want[256];

	(void)s;
	write_conf("[fetch]\nssh_host = mailgw.example.net\npassword_file = ~/.pop3pass\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_true(settings_load(&st, &e));
	assert_int_equal(st.ssh.port, 22);
	assert_int_equal(st.server_port, 110);
	assert_string_equal(st.ssh.user, "alice");
	assert_string_equal(st.server_user, "alice");
	assert_string_equal(st.server_host, "localhost");
	assert_int_equal(st.timeout, 60);
	assert_false(st.keep);
	assert_false(st.ssh.compress);
	assert_null(st.ssh.identity);
	snprintf(want, sizeof(want), "%s/.ssh/known_hosts", test_dir);
	assert_string_equal(st.ssh.known_hosts, want);
	snprintf(want, sizeof(want), "%s/.pop3pass", test_dir);
	assert_string_equal(st.password_file, want);
	snprintf(want, sizeof(want), "%s/.local/state/roam", test_dir);
	assert_string_equal(st.state_dir, want);
	assert_string_equal(st.deliver, "maildir:~/Maildir");
	assert_string_equal(st.account,
			    "alice@localhost:110 via alice@mailgw.example.net:22");
	settings_free(&st);
}

static void test_load_overrides(void **s)
{
	struct settings st;
	struct roam_error e;

	(void)s;
	write_conf("[fetch]\nssh_host = 198.51.100.238\nssh_port = 2222\nkeep = yes\n"
		   "pop3_host = 198.51.100.152\npop3_user = bob\ncompress = yes\n"
		   "password_command = pass show pop3\ndeliver = mbox:~/mbox\n");
	assert_true(parse(&st, &e, "-c", conf, "--maildir", "/srv/m", NULL));
	assert_true(settings_load(&st, &e));
	assert_true(st.keep);
	assert_true(st.ssh.compress);
	assert_string_equal(st.deliver, "maildir:/srv/m");
	assert_string_equal(st.password_command, "pass show pop3");
	assert_string_equal(st.account, "bob@198.51.100.152:110 via alice@198.51.100.238:2222");
	settings_free(&st);
}

static void test_load_errors(void **s)
{
	static const char *const bad[] = {
		"[fetch]\npassword_file = /p\n",				/* no ssh_host */
		"[fetch]\nssh_host = h\n",					/* no password */
		"[fetch]\nssh_host = h\npassword_file = /p\npassword_command = c\n",
		"[fetch]\nssh_host = h\npassword_file = /p\ndeliver = imap:x\n",
		"[fetch]\nssh_host = h\npassword_file = /p\nssh_port = 0\n",
		"[fetch]\nssh_host = h\npassword_file = /p\ntimeout = 0\n",
		"[fetch]\nssh_host = h\npassword_file = /p\npasword = x\n",
	};
	struct settings st;
	struct roam_error e;

	(void)s;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_conf(bad[i]);
		assert_true(parse(&st, &e, "-c", conf, NULL));
		e.msg[0] = '\0';
		assert_false(settings_load(&st, &e));
		assert_true(e.msg[0] != '\0');
		settings_free(&st);
	}
	/* --forward needs no password */
	write_conf("[fetch]\nssh_host = h\n");
	assert_true(parse(&st, &e, "-c", conf, "--forward", "1100", NULL));
	assert_true(settings_load(&st, &e));
	settings_free(&st);
}

/* protocol = imap: its port, folder, the account per folder; the neutral
 * keys and their pop3_* aliases, never both */
static void test_imap_keys(void **s)
{
	struct settings st;
	struct roam_error e;

	(void)s;
	write_conf("[fetch]\nssh_host = gw\npassword_file = /p\nprotocol = imap\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_true(settings_load(&st, &e));
	assert_ptr_equal(st.protocol, &mailbox_imap);
	assert_int_equal(st.server_port, 143);
	assert_string_equal(st.folder, "INBOX");
	assert_string_equal(st.account, "imap:INBOX:alice@localhost:143 via alice@gw:22");
	settings_free(&st);

	write_conf("[fetch]\nssh_host = gw\npassword_file = /p\nprotocol = imap\n"
		   "server_host = 198.51.100.152\nserver_port = 993\nserver_user = bob\n"
		   "folder = Lists/roam\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_true(settings_load(&st, &e));
	assert_string_equal(st.account,
			    "imap:Lists/roam:bob@198.51.100.152:993 via alice@gw:22");
	settings_free(&st);

	/* the aliases mean the same, and keep a POP3 account's name */
	write_conf("[fetch]\nssh_host = gw\npassword_file = /p\npop3_host = mx\n"
		   "pop3_port = 1110\npop3_user = carol\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_true(settings_load(&st, &e));
	assert_ptr_equal(st.protocol, &mailbox_pop3);
	assert_string_equal(st.account, "carol@mx:1110 via alice@gw:22");
	settings_free(&st);

	write_conf("[fetch]\nssh_host = gw\npassword_file = /p\nserver_user = a\n"
		   "pop3_user = b\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_false(settings_load(&st, &e));
	assert_non_null(strstr(e.msg, ":5: pop3_user is an alias of server_user ("));
	assert_non_null(strstr(e.msg, ":4): keep one"));
	settings_free(&st);

	write_conf("[fetch]\nssh_host = gw\npassword_file = /p\nprotocol = smtp\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_false(settings_load(&st, &e));
	assert_non_null(strstr(e.msg, ":4: "));
	settings_free(&st);
}

/* ssh_command: no ssh_host needed; a bad value names FILE:LINE */
static void test_ssh_command(void **s)
{
	struct settings st;
	struct roam_error e = { "" };
	char want[sizeof(conf) + 64];

	(void)s;
	write_conf("[fetch]\npassword_file = /p\nssh_command = ssh -W %h:%p 'mail gw'\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_true(settings_load(&st, &e));
	assert_string_equal(st.ssh_command[3], "mail gw");
	assert_null(st.ssh_command[4]);
	assert_string_equal(st.account, "alice@localhost:110 via ssh_command");
	settings_free(&st);
	write_conf("[fetch]\npassword_file = /p\n\nssh_command = ssh -W 'x\n");
	assert_true(parse(&st, &e, "-c", conf, NULL));
	assert_false(settings_load(&st, &e));
	snprintf(want, sizeof(want), "%s:4: ssh_command `ssh -W 'x': unbalanced ' quote", conf);
	assert_string_equal(e.msg, want);
	settings_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_forward_parse),
		cmocka_unit_test(test_load_defaults),
		cmocka_unit_test(test_ssh_command),
		cmocka_unit_test(test_load_overrides),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_imap_keys),
	};

	return cmocka_run_group_tests(tests, setup, testdir_teardown);
}
