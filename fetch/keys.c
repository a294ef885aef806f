/* SPDX-License-Identifier: MIT */
/* [fetch] keys: roam-fetch's table (roam.conf(5), etc/roam.conf list them all). */
#include "config.h"

static const struct roam_key fetch_keys[] = {
	{ .name = "ssh_host", .type = ROAM_T_STRING, .def = NULL,
	  .help = "the ssh server that reaches the POP3 server (mailgw.example.net); required" },
	{ .name = "ssh_port", .type = ROAM_T_INT, .def = "22", .min = 1, .max = 65535,
	  .help = "its port" },
	{ .name = "ssh_user", .type = ROAM_T_STRING, .def = NULL,
	  .help = "the ssh login; default $USER, then the running user's name" },
	{ .name = "identity", .type = ROAM_T_STRING, .def = NULL,
	  .help = "private key file (ed25519 or ecdsa); default: ssh-agent, then ~/.ssh/id_ed25519, ~/.ssh/id_ecdsa" },
	{ .name = "known_hosts", .type = ROAM_T_STRING, .def = "~/.ssh/known_hosts",
	  .help = "the OpenSSH known_hosts file the ssh host key must be listed in" },
	{ .name = "compress", .type = ROAM_T_BOOL, .def = "no",
	  .help = "ask for zlib compression of the ssh connection" },
	{ .name = "pop3_host", .type = ROAM_T_STRING, .def = "localhost",
	  .help = "the POP3 server as the ssh server sees it (198.51.100.152)" },
	{ .name = "pop3_port", .type = ROAM_T_INT, .def = "110", .min = 1, .max = 65535,
	  .help = "its port" },
	{ .name = "pop3_user", .type = ROAM_T_STRING, .def = NULL,
	  .help = "the POP3 login; default $USER, then the running user's name" },
	{ .name = "password_file", .type = ROAM_T_STRING, .def = NULL,
	  .help = "file whose first line is the POP3 password; must not be readable by group or others" },
	{ .name = "password_command", .type = ROAM_T_STRING, .def = NULL,
	  .help = "command (run by /bin/sh) whose first output line is the POP3 password" },
	{ .name = "keep", .type = ROAM_T_BOOL, .def = "no",
	  .help = "leave messages on the server; fetch only those not delivered before" },
	{ .name = "deliver", .type = ROAM_T_STRING, .def = "maildir:~/Maildir",
	  .help = "where messages go: maildir:DIR, mbox:FILE or mda:COMMAND" },
	{ .name = "timeout", .type = ROAM_T_INT, .def = "60", .min = 1, .max = 3600,
	  .help = "seconds without progress (connect, ssh, POP3 reply, MDA) before giving up" },
	{ .name = "max_message_size", .type = ROAM_T_INT, .def = "268435456", .min = 1024,
	  .max = 1L << 40,
	  .help = "octets: a larger message (by LIST, or as it arrives) is left on the server, with a warning" },
	{ .name = "forward_idle_timeout", .type = ROAM_T_INT, .def = "600", .min = 1,
	  .max = 86400,
	  .help = "--forward: seconds a connection may move no byte before it is closed" },
	{ .name = "state_dir", .type = ROAM_T_STRING, .def = "~/.local/state/roam",
	  .help = "where the delivered-UIDL record and the account lock live" },
};

const struct roam_section roam_fetch_keys = ROAM_SECTION("fetch", fetch_keys);
