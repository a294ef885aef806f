#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/lab/lib.t — tests of tests/lab/lib.sh with real servers: the TAP helpers,
# a private sshd that ssh logs into with a key (and refuses passwords), a private
# dovecot that curl lists and retrieves over POP3, stop/start keeping the mailbox,
# two namespaces joined by lab_link, servers inside a namespace, and the EXIT
# trap leaving nothing behind (normal exit, failure midway, SIGTERM).
set -u
: "${ROAM_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init

# alive PID: running and not a zombie
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

# ---- TAP helpers, in a child so that its failures are not ours ---------------
out=$(bash -c '. "$ROAM_TOP/tests/lab/lib.sh"; lab_init
	ok "true passes" true; ok "false fails" false; is a a "is equal"; is a b "is differs"
	like abc "^a.c$" "like matches"; skip "skipped" "no reason"; diag "a diag"; done_testing' 2>&1)
rc=$?
is "$rc" 2 "done_testing exits with the number of failures"
like "$out" $'ok 1 - true passes\nnot ok 2 - false fails' "ok prints ok / not ok"
like "$out" "#      got: 'a'"$'\n'"# expected: 'b'" "is prints got and expected"
like "$out" "ok 6 - skipped # skip no reason" "skip"
like "$out" $'\n1\\.\\.6(\n|$)' "done_testing prints the plan last"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	bash -c '. "$ROAM_TOP/tests/lab/lib.sh"; lab_require_root; echo reached' 2>&1)
is "$out" "1..0 # SKIP not root" "lab_require_root skips when not root"

# ---- sshd on 127.0.0.1 ------------------------------------------------------
like "$LAB_ID" '^[0-9a-f]{6}$' "LAB_ID is random hex"
port=$(lab_free_port)
t0=$EPOCHREALTIME
ok "sshd starts on 127.0.0.1:$port" lab_sshd 127.0.0.1 "$port"
diag "sshd start: $(_lab_ms "$t0") ms (lab_sshd's own figure: ${LAB_SSHD_START_MS:-?} ms, incl. 2 key generations)"
is "$LAB_SSH_PORT/$LAB_SSH_HOST/$LAB_SSH_USER" "$port/127.0.0.1/$(id -un)" "LAB_SSH_* variables"
like "$(cat "$LAB_SSH_KNOWN_HOSTS")" "^\\[127\\.0\\.0\\.1\\]:$port ssh-ed25519 [A-Za-z0-9+/=]+$" "known_hosts has [ADDR]:PORT"
out=$(ssh -F /dev/null -i "$LAB_SSH_KEY" -o UserKnownHostsFile="$LAB_SSH_KNOWN_HOSTS" \
	-o StrictHostKeyChecking=yes -o BatchMode=yes -p "$LAB_SSH_PORT" \
	"$LAB_SSH_USER@127.0.0.1" echo hi 2>&1)
is "$out" hi "ssh with the lab key and known_hosts runs a command"
out=$(ssh -F /dev/null -o UserKnownHostsFile="$LAB_SSH_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
	-o BatchMode=yes -o PubkeyAuthentication=no \
	-o PreferredAuthentications=password,keyboard-interactive -p "$LAB_SSH_PORT" \
	"$LAB_SSH_USER@127.0.0.1" echo hi 2>&1)
like "$out" 'Permission denied \(publickey\)' "a password login is refused (only publickey offered)"
out=$(lab_ssh 'echo "$SSH_CONNECTION"' 2>&1)
like "$out" "^127\\.0\\.0\\.1 [0-9]+ 127\\.0\\.0\\.1 $port$" "lab_ssh; SSH_CONNECTION carries the client address"
sshd_pid=$LAB_SSHD_PID

# ---- dovecot on 127.0.0.1 ---------------------------------------------------
port=$(lab_free_port)
t0=$EPOCHREALTIME
ok "dovecot starts on 127.0.0.1:$port" lab_dovecot 127.0.0.1 "$port"
diag "dovecot start: $(_lab_ms "$t0") ms"
url="pop3://$LAB_POP3_USER:$LAB_POP3_PASS@127.0.0.1:$LAB_POP3_PORT"
is "$(stat -c %a "$LAB_POP3_PASSFILE"):$(cat "$LAB_POP3_PASSFILE")" "600:$LAB_POP3_PASS" "LAB_POP3_PASSFILE: 0600, the password"
is "$(curl -s "$url/" | grep -c '^[0-9]')" 0 "the mailbox starts empty"
ok "lab_fill_mailbox 3" lab_fill_mailbox 3
list=$(curl -s "$url/")
like "$list" $'^1 [0-9]+\r?\n2 [0-9]+\r?\n3 [0-9]+\r?$' "curl pop3:// lists 3 messages"
msg=$(curl -s "$url/2" | tr -d '\r')
like "$msg" $'\nSubject: roam test 2\n' "RETR 2 has Subject: roam test 2"
like "$msg" $'\nFrom sender@example.net [^\n]*\n\\.\n\\.\\. and a line' "the body keeps its From and dot lines (dot-stuffing undone)"
# POP3 access moved them from new/ to cur/
is "$(grep -h '^Message-ID: <roam-' "$LAB_MAILDIR"/cur/* | sort -u | wc -l)" 3 "three distinct Message-IDs"
is "$(stat -c %U "$LAB_MAILDIR"/cur/* | sort -u)" nobody "messages are owned by the mail uid"
uidl=$(curl -s -X UIDL "$url/")
t0=$EPOCHREALTIME
lab_dovecot_stop
diag "dovecot stop: $(_lab_ms "$t0") ms"
old_pid=$LAB_DOVECOT_PID
ok "dovecot stopped: master gone" bash -c "! kill -0 $old_pid 2>/dev/null || grep -q '^State:.*Z' /proc/$old_pid/status"
ok "dovecot stopped: connection refused" bash -c "! curl -s '$url/'"
t0=$EPOCHREALTIME
ok "dovecot starts again" lab_dovecot_start
diag "dovecot restart: $(_lab_ms "$t0") ms"
is "$(curl -s -X UIDL "$url/")" "$uidl" "the mailbox and its UIDLs survive the restart"
t0=$EPOCHREALTIME
ok "lab_fill_mailbox 1000" lab_fill_mailbox 1000
diag "lab_fill_mailbox 1000 x 2 KB: $(_lab_ms "$t0") ms"
is "$(ls "$LAB_MAILDIR/new" | wc -l)" 1000 "1000 messages in new/"
size=$(stat -c %s "$(ls -d "$LAB_MAILDIR"/new/* | tail -n 1)")
ok "a message is about 2 KB by default ($size)" test "$size" -ge 2048 -a "$size" -lt 2200
t0=$EPOCHREALTIME
ok "lab_fill_mailbox 10 102400" lab_fill_mailbox 10 102400
diag "lab_fill_mailbox 10 x 100 KB: $(_lab_ms "$t0") ms"
size=$(stat -c %s "$(ls -td "$LAB_MAILDIR"/new/* | head -n 1)")
ok "a message is about BYTES long ($size)" test "$size" -ge 102400 -a "$size" -lt 102600

# ---- namespaces --------------------------------------------------------------
a=$(lab_ns a)
b=$(lab_ns b)
is "$a $b" "roam-$LAB_ID-a roam-$LAB_ID-b" "lab_ns names"
is "$(ip -n "$a" -br link show lo | awk '{print $2}')" UNKNOWN "lo is up in a namespace"
ok "lab_link a 198.51.100.1/24 b 198.51.100.2/24" lab_link "$a" 198.51.100.1/24 "$b" 198.51.100.2/24
ok "ping across the link" ip netns exec "$a" ping -nqc 1 -W 2 198.51.100.2
like "$(ip -n "$b" -br addr show "$LAB_LINK_IF2")" "198\\.51\\.100\\.2/24" "LAB_LINK_IF2 is the interface in b"
t0=$EPOCHREALTIME
ok "sshd in namespace b on port 22" lab_sshd --ns "$b" 198.51.100.2 22
diag "sshd start in a namespace: $(_lab_ms "$t0") ms"
out=$(ip netns exec "$a" ssh "${LAB_SSH_OPTS[@]}" "$LAB_SSH_USER@198.51.100.2" 'echo $SSH_CONNECTION' 2>&1)
like "$out" '^198\.51\.100\.1 [0-9]+ 198\.51\.100\.2 22$' "ssh from a to b (port 22: plain host in known_hosts)"
ok "dovecot in namespace b on port 110" lab_dovecot --ns "$b" 198.51.100.2 110
lab_fill_mailbox 2
out=$(ip netns exec "$a" curl -s "pop3://$LAB_POP3_USER:$LAB_POP3_PASS@198.51.100.2/" | wc -l)
is "$out" 2 "curl from a lists b's mailbox"
ok "nothing listens in the root namespace on 198.51.100.2" bash -c "! ss -Hltn | grep -q 198.51.100.2"
ok "the first sshd still runs" kill -0 "$sshd_pid"

# ---- cleanup: a child test leaves nothing behind ------------------------------
# The child starts everything, writes what it made to $state, then ends the way
# $1 says: normally, failing midway under set -e, or killed with SIGTERM.
state=$LAB_TMP/child
child() {
	rm -f "$state"
	bash -c '. "$ROAM_TOP/tests/lab/lib.sh"; lab_init
		n=$(lab_ns x); m=$(lab_ns y)
		lab_link "$n" 192.0.2.1/30 "$m" 192.0.2.2/30 || exit 9
		lab_sshd --ns "$n" 192.0.2.1 22 >/dev/null || exit 9
		lab_ssh sleep 60 </dev/null >/dev/null 2>&1 &     # a session that would outlive sshd
		lab_dovecot 127.0.0.1 >/dev/null || exit 9
		sleep 0.2
		echo "$LAB_ID $LAB_TMP $LAB_SSHD_PID $LAB_DOVECOT_PID" >"$1.tmp"; mv "$1.tmp" "$1"
		case $2 in
		normal) lab_cleanup; exit 0 ;;                    # and the trap again: idempotent
		fail) set -e; false; echo not reached ;;
		term) sleep 30 & wait ;;
		esac' child "$state" "$1" &
	local pid=$! i
	if [ "$1" = term ]; then
		for ((i = 0; i < 500; i++)); do [ -e "$state" ] && break; sleep 0.01; done
		kill -TERM "$pid"
	fi
	wait "$pid"
}
for how in normal fail term; do
	t0=$EPOCHREALTIME
	child "$how"
	rc=$?
	read -r id tmp spid dpid <"$state" || id=none
	case $how in normal) want=0 ;; fail) want=1 ;; term) want=143 ;; esac
	is "$rc" "$want" "child ($how) exit status"
	is "$(ip netns list | grep -c "^roam-$id-")" 0 "child ($how): no roam-$id-* namespace left"
	ok "child ($how): sshd $spid and dovecot $dpid are gone" bash -c "! { $(declare -f alive); alive $spid || alive $dpid; }"
	is "$(pgrep -f "$tmp" | wc -l)" 0 "child ($how): no process mentions its LAB_TMP"
	ok "child ($how): LAB_TMP removed" test ! -e "$tmp"
	diag "child ($how): whole life incl. cleanup $(_lab_ms "$t0") ms"
done

# our own cleanup, timed (the trap then finds nothing to do)
t0=$EPOCHREALTIME
lab_cleanup
diag "lab_cleanup of 2 sshd, 2 dovecot, 2 namespaces: $(_lab_ms "$t0") ms"
is "$(ip netns list | grep -c "^roam-$LAB_ID-")" 0 "own cleanup: no namespace left"
ok "own cleanup: first sshd gone" bash -c "! { $(declare -f alive); alive $sshd_pid; }"
done_testing
