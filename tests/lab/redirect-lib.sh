# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/lab/redirect-lib.sh — the mail path around roam-redirect, shared by
# tests/lab/redirect-*.t and bench/redirect (sourced after tests/lab/lib.sh
# and lab_init).
#
#   rl_setup                  $RL (= $LAB_TMP/mail): a real procmail set-up whose
#                             SENDMAIL is $RL/sendmail, a recorder; DEFAULT is the
#                             Maildir $RL/inbox/; $RL/roam.conf is the config that
#                             $RL/bin/roam-redirect (a wrapper) passes with -c.
#                             $RL/procmailrc includes contrib/procmailrc.
#   rl_conf KEY=VALUE…        rewrites $RL/roam.conf ([redirect] with these keys)
#   rl_state alive|dead|stale|corrupt|missing [ADDR]
#                             puts the state file of ADDR (default $RL_TARGET)
#                             in place atomically (write, then rename)
#   rl_message N BYTES [HEADER…] > FILE
#                             a message with Message-ID <rl-N@test.example.net>
#   rl_deliver FILE [NS]      procmail -m $RL/procmailrc < FILE (inside NS)
#   rl_where N                where message N ended: "alive", "away", "inbox" or
#                             "other:RCPT", one word per copy, sorted ("" is lost)
#
# The recorder takes the message on stdin, stores it as
# $RL/out/RECIPIENT/MSGID and logs "MSGID ARGS" to $RL/sendmail.log. A message
# with the header "X-Test-Sendmail: fail" makes it exit 75 (EX_TEMPFAIL) after
# reading everything, as a real sendmail with a full queue would.

RL_TARGET=198.51.100.180
RL_ALIVE=user@laptop.example.net
RL_AWAY=away@mail.example.net
# what roam-redirect may print: one plain address (redirect/target.h)
RL_SAFE='^[A-Za-z0-9._+=][A-Za-z0-9._+=-]*(@[A-Za-z0-9][A-Za-z0-9.-]*)?$'

rl_setup() {
	RL=$LAB_TMP/mail
	mkdir -p "$RL/bin" "$RL/out" "$RL/inbox" "$RL/state" || return 1
	cat >"$RL/sendmail" <<-'EOF'
	#!/bin/bash
	# a recording sendmail: $SENDMAILFLAGS then the recipients
	dir=$(dirname "$0")
	tmp=$(mktemp "$dir/out/.msg.XXXXXX") || exit 71
	cat >"$tmp" || exit 74
	id=$(sed -n 's/^Message-ID:[[:space:]]*<\([A-Za-z0-9@.-]*\)>.*/\1/Ip' "$tmp" | head -n1)
	if grep -qi '^X-Test-Sendmail: fail' "$tmp"; then
		rm -f "$tmp"
		exit 75
	fi
	rcpt=${!#}
	case $rcpt in -*|'') rcpt=NONE ;; esac
	mkdir -p "$dir/out/$rcpt" && mv "$tmp" "$dir/out/$rcpt/$id" || exit 73
	echo "$id $*" >>"$dir/sendmail.log"
	EOF
	cat >"$RL/bin/roam-redirect" <<-EOF
	#!/bin/sh
	exec "$ROAM_BUILD/roam-redirect" -c "$RL/roam.conf" "\$@"
	EOF
	cat >"$RL/procmailrc" <<-EOF
	SHELL=/bin/sh
	PATH=$RL/bin:/usr/bin:/bin
	SENDMAIL=$RL/sendmail
	DEFAULT=$RL/inbox/
	LOGFILE=$RL/procmail.log
	INCLUDERC=$ROAM_TOP/contrib/procmailrc
	EOF
	chmod 0755 "$RL/sendmail" "$RL/bin/roam-redirect"
	chmod 0644 "$RL/procmailrc"
	rl_conf
}

rl_conf() {
	{
		echo "[redirect]"
		echo "target = $RL_TARGET"
		echo "alive = $RL_ALIVE"
		echo "away = $RL_AWAY"
		echo "state_dir = $RL/state"
		local kv
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$RL/roam.conf"
}

rl_state() {
	local f="$RL/state/${2:-$RL_TARGET}" now
	now=$(date +%s)
	case $1 in
	alive)   echo "v1 alive $((now - 60)) $now 412 dgram" >"$f.tmp" ;;
	dead)    echo "v1 dead $((now - 60)) $now 0 dgram" >"$f.tmp" ;;
	stale)   echo "v1 dead 1000 $((now - 100000)) 0 dgram" >"$f.tmp" ;;
	corrupt) head -c 40 /dev/urandom >"$f.tmp" ;;
	missing) rm -f "$f"; return 0 ;;
	esac
	mv -f "$f.tmp" "$f"
}

rl_message() {
	local n=$1 bytes=$2
	shift 2
	printf 'From sender@example.org  Wed Nov 25 16:40:00 2026\n'
	printf 'From: Sender <sender@example.org>\nTo: user@mail.example.net\n'
	printf 'Subject: roam test %s\nMessage-ID: <rl-%s@test.example.net>\n' "$n" "$n"
	local h
	for h in "$@"; do printf '%s\n' "$h"; done
	printf '\n'
	# a body of about BYTES bytes, lines of 72, and the empty line that
	# procmail would otherwise add at the end
	head -c "$bytes" /dev/zero | tr '\0' 'x' | fold -w 72
	printf '\n\n'
}

rl_deliver() {
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" procmail -m "$RL/procmailrc" <"$1"
	else
		procmail -m "$RL/procmailrc" <"$1"
	fi
}

rl_where() {
	local id="rl-$1@test.example.net" f
	{
		for f in "$RL"/out/*/"$id"; do
			[ -e "$f" ] || continue
			f=${f%/*}
			case ${f##*/} in
			"$RL_ALIVE") echo alive ;;
			"$RL_AWAY") echo away ;;
			*) echo "other:${f##*/}" ;;
			esac
		done
		grep -l -F "Message-ID: <$id>" "$RL"/inbox/new/* 2>/dev/null | sed 's/.*/inbox/'
	} | sort | tr '\n' ' ' | sed 's/ $//'
}
