#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch holds the POP3 password: the user's other processes (a browser
# exploit, a compromised tool running as the same uid) must not read it out
# of its memory or environment. Made non-dumpable (PR_SET_DUMPABLE 0) first
# thing, its /proc files belong to root and ptrace is refused, even for its
# own uid. Seen from outside as the user: roam-fetch runs as nobody, stuck
# waiting for the ssh banner of a listener on 127.0.0.1 that never speaks,
# and nobody then tries to read its /proc/PID/environ.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
home=$(mktemp -d /tmp/roam-dumpable.XXXXXX)
trap 'rm -rf "$home"' EXIT
chown nobody "$home"
port=$(lab_free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); time.sleep(30)' "$port" &
silent=$!
printf '[fetch]\nssh_host = 127.0.0.1\nssh_port = %s\npop3_user = x\npassword_command = echo x\ndeliver = maildir:%s/Maildir\ntimeout = 20\n' \
	"$port" "$home" >"$home/roam.conf"
chmod 644 "$home/roam.conf"
for _ in $(seq 100); do ss -Htln "sport = :$port" | grep -q . && break; sleep 0.05; done

# not through as_nobody: $! must be roam-fetch itself, not a subshell
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env HOME="$home" ROAM_TEST_SECRET=s3cret "$FETCH" -c "$home/roam.conf" 2>"$home/err" &
fetch=$!
# past setpriv's exec and connected: then it waits for the banner that never comes
running() {
	[ "$(readlink "/proc/$fetch/exe")" = "$(readlink -f "$FETCH")" ] &&
		ss -Htn state established "( dport = :$port )" | grep -q .
}
for _ in $(seq 200); do running && break; sleep 0.05; done
ok "roam-fetch is connected and waiting" running
is "$(awk '/^Uid:/ { print $2 }' "/proc/$fetch/status")" 65534 "…as nobody (the test's user)"
is "$(stat -c %U:%G "/proc/$fetch/environ")" root:root \
	"its /proc files belong to root: it is not dumpable"
out=$(as_nobody cat "/proc/$fetch/environ" 2>&1); rc=$?
like "$rc $out" "^1 .*Permission denied" "its own uid cannot read its environment"
ok "  (nothing of it comes through)" test "${out/s3cret/}" = "$out"
out=$(as_nobody cat "/proc/$fetch/mem" 2>&1)
like "$out" "Permission denied" "nor open its memory"
out=$(as_nobody gdb -q -batch -p "$fetch" 2>&1 </dev/null) 2>/dev/null
[ -x /usr/bin/gdb ] && like "$out" "ptrace: Operation not permitted" "nor attach a debugger"
like "$(grep '^Max core file size' "/proc/$fetch/limits")" "^Max core file size +0 +0 " \
	"and it writes no core file (RLIMIT_CORE 0)"
kill "$fetch" "$silent" 2>/dev/null
wait "$fetch" 2>/dev/null
wait "$silent" 2>/dev/null
done_testing
