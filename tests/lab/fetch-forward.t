#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch --forward: the managed `ssh -L` for other POP3 clients. curl and
# fetchmail read mail through it; it listens on loopback only; another local
# user (nobody) is refused, on TCP and on a unix socket in a 0700 directory;
# idle connections are closed; when ssh drops it reconnects and serves
# again; SIGTERM ends it with status 0; a busy port, a live socket, an open
# socket directory or a bad spec are errors with their exit status.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }
port=$(lab_free_port)
c=$(conf fwd)

"$FETCH" -c "$c" -v --forward "$port" 2>"$LAB_TMP/fwd.err" &
fwd=$!
ok "--forward $port: answers with the POP3 server's banner" pop3_banner "$port"
like "$(ss -Htln "sport = :$port")" "127\.0\.0\.1:$port" "--forward listens on 127.0.0.1 only"
# it holds the POP3 password: no core file (it is also made non-dumpable,
# which a test running as root cannot see from outside)
like "$(grep '^Max core file size' "/proc/$fwd/limits")" "^Max core file size +0 +0 " \
	"a running roam-fetch writes no core file (RLIMIT_CORE 0)"

# ---- curl -------------------------------------------------------------------------
fresh_server 3
auth=(--user "$LAB_POP3_USER:$LAB_POP3_PASS")
list=$(curl -s "${auth[@]}" "pop3://127.0.0.1:$port/")
is "$(wc -l <<<"$list")" 3 "curl pop3:// through the forward: LIST shows 3 messages"
curl -s "${auth[@]}" "pop3://127.0.0.1:$port/1" | tr -d '\r' >"$LAB_TMP/curl1"
ok "curl RETR through the forward: one of the server's messages, byte for byte" \
	grep -qxF "$(md5sum <"$LAB_TMP/curl1" | cut -d' ' -f1)" "$LAB_TMP/orig"

# ---- fetchmail ----------------------------------------------------------------------------
fresh_server 5
mkdir -p "$LAB_TMP/fm/home" "$LAB_TMP/fm/out"
cat >"$LAB_TMP/fm/rc" <<EOF2
set no syslog
set invisible
poll 127.0.0.1 port $port proto pop3 auth password
    user "$LAB_POP3_USER" there with password "$LAB_POP3_PASS" is root here
    fetchall nokeep sslproto ''
    mda "/bin/sh -c 'cat >\$(mktemp $LAB_TMP/fm/out/msg.XXXXXX)'"
EOF2
chmod 600 "$LAB_TMP/fm/rc"
HOME=$LAB_TMP/fm/home timeout 120 fetchmail -N -f "$LAB_TMP/fm/rc" \
	--pidfile "$LAB_TMP/fm/pid" >"$LAB_TMP/fm/log" 2>&1 && rc=0 || rc=$?
is "$rc" 0 "fetchmail through the forward: exit 0" || diag "$(tail -n 20 "$LAB_TMP/fm/log")"
is "$(ls "$LAB_TMP/fm/out" | wc -l)" 5 "fetchmail through the forward: 5 messages delivered"
is "$(grep -h '^Subject:' "$LAB_TMP"/fm/out/* | sort)" \
	"$(printf 'Subject: roam test %d\n' 1 2 3 4 5 | sort)" "fetchmail: each message once"
is "$(server_count)" 0 "fetchmail through the forward: the server is empty"

# ---- another local user is refused --------------------------------------------------------
# (fetchmail and curl above ran as root, the forward's own user: served)
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
fresh_server 1
as_nobody curl -s -m 20 "${auth[@]}" "pop3://127.0.0.1:$port/" >"$LAB_TMP/nobody.out" && rc=0 || rc=$?
ok "as nobody: curl through the TCP forward fails (curl exit $rc)" test "$rc" != 0
is "$(cat "$LAB_TMP/nobody.out")" "" "as nobody: not one byte of the POP3 server"
like "$(cat "$LAB_TMP/fwd.err")" "refused a connection from uid $(id -u nobody): only uid 0 may use this forward" \
	"as nobody: the forward says whom it refused"
is "$(wc -l <<<"$(curl -s "${auth[@]}" "pop3://127.0.0.1:$port/")")" 1 \
	"after the refusal, the user's own curl is still served"

# ---- POP3 server down: that client fails, the forward stays ------------------------------
lab_dovecot_stop
curl -s -m 20 "${auth[@]}" "pop3://127.0.0.1:$port/" >/dev/null && rc=0 || rc=$?
ok "POP3 server down: the client's connection fails (curl exit $rc)" test "$rc" != 0
ok "POP3 server down: roam-fetch --forward still runs" kill -0 "$fwd"
ok "dovecot starts again" lab_dovecot_start
ok "POP3 server back: the forward serves again" pop3_banner "$port"

# ---- ssh dropped: reconnect -------------------------------------------------------------
# kill the sshd processes serving the forward (children of the listener)
for p in $(ps -o pid= --ppid "$LAB_SSHD_PID"); do kill -9 "$p" $(ps -o pid= --ppid "$p"); done
ok "after ssh dropped: the forward serves again (reconnected)" pop3_banner "$port"
ok "after ssh dropped: roam-fetch --forward still runs" kill -0 "$fwd"
like "$(cat "$LAB_TMP/fwd.err")" "ssh connection lost: .*; reconnecting in 1 s" \
	"after ssh dropped: it said it lost the connection and reconnects"

# ---- SIGTERM ------------------------------------------------------------------------------
kill -TERM "$fwd"
wait "$fwd" && rc=0 || rc=$?
is "$rc" 0 "SIGTERM: exit 0"
is "$(ss -Htln "sport = :$port" | wc -l)" 0 "SIGTERM: the port is closed"

# ---- idle connections are closed -----------------------------------------------------------
iport=$(lab_free_port)
ci=$(conf fwdidle forward_idle_timeout=2)
"$FETCH" -c "$ci" -v --forward "$iport" 2>"$LAB_TMP/idle.err" &
idle=$!
ok "--forward with forward_idle_timeout = 2 answers" pop3_banner "$iport"
exec 3<>"/dev/tcp/127.0.0.1/$iport"
IFS= read -r -t 10 l <&3
like "$l" '^\+OK' "an idle client got the banner"
t0=$EPOCHREALTIME
IFS= read -r -t 30 l <&3 && rc=0 || rc=$?
exec 3<&-
is "$rc" 1 "a client that then says nothing is disconnected (EOF, not our 30 s read timeout)"
note "idle connection closed after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
like "$(cat "$LAB_TMP/idle.err")" "closing a connection idle for 2 s" "the forward says why"
kill -TERM "$idle"
wait "$idle"

# ---- a unix socket in a directory only the user can enter ------------------------------------
chmod 711 "$LAB_TMP"
mkdir -m 755 "$LAB_TMP/pub"
sock=$LAB_TMP/pub/roam/pop3
"$FETCH" -c "$c" -v --forward "unix:$sock" 2>"$LAB_TMP/unix.err" &
ufwd=$!
unix_banner() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ -S "$sock" ] && curl -s -m 5 "${auth[@]}" --unix-socket "$sock" pop3://localhost/ \
			>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
fresh_server 2
ok "--forward unix:PATH serves the user's curl --unix-socket" unix_banner
is "$(stat -c %a "$LAB_TMP/pub/roam")" 700 "--forward unix: the missing directory was created 0700"
is "$(wc -l <<<"$(curl -s "${auth[@]}" --unix-socket "$sock" pop3://localhost/)")" 2 \
	"curl through the unix socket: LIST shows the 2 messages"
as_nobody curl -s -m 20 "${auth[@]}" --unix-socket "$sock" pop3://localhost/ >"$LAB_TMP/nobody.out" \
	2>&1 && rc=0 || rc=$?
ok "as nobody: the unix socket cannot be reached (curl exit $rc)" test "$rc" != 0
fetch "$c" --forward "unix:$sock"
is "$rc" 2 "a second forward on a live socket: exit 2"
like "$(cat "$LAB_TMP/err")" "in use by another forward" "a second forward on a live socket: says so"
kill -9 "$ufwd"
wait "$ufwd" 2>/dev/null
ok "killed: its socket stays behind" test -S "$sock"
"$FETCH" -c "$c" -v --forward "unix:$sock" 2>"$LAB_TMP/unix.err" &
ufwd=$!
ok "the next forward replaces the dead socket and serves" unix_banner
kill -TERM "$ufwd"
wait "$ufwd" && rc=0 || rc=$?
is "$rc" 0 "unix forward, SIGTERM: exit 0"
ok "unix forward, SIGTERM: the socket is removed" test ! -e "$sock"
mkdir -m 755 "$LAB_TMP/pub/open"
fetch "$c" --forward "unix:$LAB_TMP/pub/open/pop3"
is "$rc" 6 "a socket directory others can enter: exit 6"
like "$(cat "$LAB_TMP/err")" "pub/open: others can enter it \(mode 0755\)" "… naming the directory and its mode"
chmod 700 "$LAB_TMP"

# ---- errors -----------------------------------------------------------------------------
fetch "$c" --forward "mailgw:$port"
is "$rc" 5 "--forward with a host name: exit 5"
fetch "$c" --forward 0
is "$rc" 5 "--forward 0: exit 5"
fetch "$c" --forward "$port" --check
is "$rc" 5 "--forward with --check: exit 5"
exec 4< <(exec nc -l 127.0.0.1 "$port")
busy=$!
for ((i = 0; i < 100; i++)); do
	[ "$(ss -Htln "sport = :$port" | wc -l)" = 0 ] || break
	sleep 0.05
done
fetch "$c" --forward "$port"
is "$rc" 2 "--forward on a busy port: exit 2"
kill "$busy" 2>/dev/null
exec 4<&-
c=$(conf fwdkh "known_hosts=$LAB_TMP/nothing")
fetch "$c" --forward "$(lab_free_port)"
is "$rc" 2 "--forward with an unknown host key: exit 2, no retry"

done_testing
