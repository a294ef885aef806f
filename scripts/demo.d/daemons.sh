# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# scripts/demo.d/daemons.sh — the demo's own sshd, dovecot and postfix starters.
#
# The configs follow tests/lab/lib.sh's lab_sshd and lab_dovecot (key-only sshd
# with its own host key; POP3-only dovecot with one passwd-file user whose mail
# processes run as nobody). What differs is the start-up: in the VM every
# process costs tens of milliseconds of emulated CPU, so these start every
# daemon in its daemonizing mode, which returns only once the listeners are
# bound — no polling loop — and the story starts them all at once.
# Sourced by scripts/demo.d/story after lib.sh (lab_init has set $LAB_TMP).
#
#   demo_sshd NAME NS ADDR        sshd on ADDR:22 in NS; files in $LAB_TMP/sshd-NAME
#                                 (lab_sshd_files): known_hosts, authorized_keys
#                                 (the lab key $LAB_TMP/id_ed25519.pub), sshd.pid
#   demo_dovecot NS ADDR          dovecot POP3 on ADDR:110 in NS, user alice; files in
#                                 $LAB_TMP/dovecot: home/Maildir, pop3.pass, run/master.pid
#   demo_postfix mobile|mail NS   a private postfix (see below); $LAB_TMP/postfix-ROLE
#   demo_stop PIDFILE COMM        TERM to the daemon whose pid PIDFILE holds (if its
#                                 command name is COMM), KILL after 2 s

demo_sshd() {
	local name=$1 ns=$2 addr=$3 dir=$LAB_TMP/sshd-$1
	mkdir -p "$dir" || return 1
	# host key, the lab key in authorized_keys, config and known_hosts, as the
	# lab tests have them (tests/lab/lib.sh), on the standard port
	lab_sshd_files "$dir" "$addr" 22 "roam-demo-$name" || return 1
	# privilege separation dir; removed again (if still empty) when we made it
	if [ ! -d /run/sshd ] && mkdir -m 0755 /run/sshd 2>/dev/null; then touch "$LAB_TMP/.made-run-sshd"; fi
	# without -D sshd forks into the background once it listens
	logrun "$ns" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null ||
		{ cat "$dir/sshd.log" >>"$LOG" 2>/dev/null; return 1; }
}

demo_dovecot() {
	local ns=$1 addr=$2 dir=$LAB_TMP/dovecot
	# alice, her password, her Maildir (owned by nobody) and the config, as the
	# lab tests have them (tests/lab/lib.sh), on the standard POP3 port
	lab_dovecot_files "$dir" "$addr" 110 "roam-demo-$LAB_ID" || return 1
	cat >>"$dir/dovecot.conf" <<-EOF
		service stats {
		  unix_listener stats-reader {
		    mode = 0600
		  }
		  unix_listener stats-writer {
		    mode = 0600
		  }
		}
	EOF
	# dovecot daemonizes once its listeners are bound
	logrun "$ns" /usr/sbin/dovecot -c "$dir/dovecot.conf" </dev/null ||
		{ cat "$dir/dovecot.log" >>"$LOG" 2>/dev/null; return 1; }
}

# demo_postfix mobile|mail NS: a private postfix instance (postfix -c DIR style:
# its own main.cf/master.cf, queue and data below the lab directory, every
# service unchrooted).
#   mobile: receives alice@laptop by SMTP on :25 and delivers into the mobile
#           user's Maildir (virtual(8), as nobody)
#   mail:   the mail server's MTA on 127.0.0.1:25, where msmtp submits procmail's
#           forwards: alice@laptop by SMTP to [198.51.100.180] (the tunnel),
#           alice through an alias to procmail (local(8), as nobody)
demo_postfix() {
	local role=$1 ns=$2 dir=$LAB_TMP/postfix-$1 q
	mkdir -p "$dir/conf" "$dir/spool" "$dir/data" && chown postfix "$dir/data" || return 1
	{
		cat <<-EOF
			# the $role's MTA in the roam demo
			compatibility_level = 3.6
			queue_directory = $dir/spool
			data_directory = $dir/data
			maillog_file = $dir/postfix.log
			maillog_file_prefixes = $LAB_TMP
			mail_owner = postfix
			setgid_group = postdrop
			inet_protocols = ipv4
			mynetworks = 127.0.0.0/8
			biff = no
			smtputf8_enable = no
			alias_database =
			# no DNS in the lab; nothing but the demo's own mail leaves a host
			smtpd_peername_lookup = no
			smtp_dns_support_level = disabled
			default_transport = error:nothing leaves the lab
			relay_transport = error:nothing leaves the lab
		EOF
		if [ "$role" = mobile ]; then cat <<-EOF
			myhostname = laptop.example.net
			mydestination =
			inet_interfaces = all
			alias_maps =
			local_transport = error:no local delivery on the mobile
			virtual_mailbox_domains = laptop
			virtual_mailbox_base = $MOBILE_HOME
			virtual_mailbox_maps = inline:{ alice@laptop=Maildir/ }
			virtual_uid_maps = static:$(id -u nobody)
			virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
		EOF
		else cat <<-EOF
			myhostname = mail.example.net
			myorigin = mail.example.net
			mydestination = mail.example.net, localhost
			inet_interfaces = 127.0.0.1
			local_recipient_maps =
			alias_maps = texthash:$dir/conf/aliases
			transport_maps = inline:{ laptop=smtp:[$EXPORTED] }
		EOF
		fi
	} >"$dir/conf/main.cf"
	# a root-owned alias file: its command runs as default_privs (nobody)
	echo "alice \"|/usr/bin/procmail $MAIL_HOME/procmailrc\"" >"$dir/conf/aliases"
	sed 's/^[[:space:]]*//' >"$dir/conf/master.cf" <<-'EOF'
		smtp      inet  n       -       n       -       -       smtpd
		pickup    unix  n       -       n       60      1       pickup
		cleanup   unix  n       -       n       -       0       cleanup
		qmgr      unix  n       -       n       300     1       qmgr
		rewrite   unix  -       -       n       -       -       trivial-rewrite
		bounce    unix  -       -       n       -       0       bounce
		defer     unix  -       -       n       -       0       bounce
		trace     unix  -       -       n       -       0       bounce
		verify    unix  -       -       n       -       1       verify
		proxymap  unix  -       -       n       -       -       proxymap
		smtp      unix  -       -       n       -       -       smtp
		error     unix  -       -       n       -       -       error
		retry     unix  -       -       n       -       -       error
		discard   unix  -       -       n       -       -       discard
		local     unix  -       n       n       -       -       local
		virtual   unix  -       n       n       -       -       virtual
		anvil     unix  -       -       n       -       1       anvil
		scache    unix  -       -       n       -       1       scache
		postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
	# the queue as `postfix check` would make it, then the master itself:
	# `postfix start` runs postfix-script's checks first (~20 s on the VM's
	# emulated CPU); `master -w` returns once the master is up (~1 s)
	for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		mkdir -m 0700 "$dir/spool/$q" && chown postfix "$dir/spool/$q" || return 1
	done
	mkdir -m 0730 "$dir/spool/maildrop" && mkdir -m 0710 "$dir/spool/public" &&
	chown postfix:postdrop "$dir/spool/maildrop" "$dir/spool/public" &&
	mkdir -m 0755 "$dir/spool/pid" || return 1
	logrun "$ns" /usr/lib/postfix/sbin/master -c "$dir/conf" -w </dev/null ||
		{ cat "$dir/postfix.log" >>"$LOG" 2>/dev/null; return 1; }
}

demo_stop() {
	local pid i
	pid=$(tr -d ' \n' <"$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	# daemonized, it is not our child: once dead it may stay a zombie until
	# init reaps it, which counts as gone
	for ((i = 0; i < 20; i++)); do
		[ -e "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}
