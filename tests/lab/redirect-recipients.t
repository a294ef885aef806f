#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The recipients table: roam-probe probes every TARGET of it, roam-redirect
# --for picks a recipient's row (procmail), and --exit-status (Sieve's
# execute) prints the alive destination and exits 0, or prints nothing and
# exits 1 for anything else: away, unknown, bad table, a signal.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 19

ok "two namespaces on one link" pl_setup
A_RCPT=alice@example.org A_ALIVE=alice@laptop.example.net
B_RCPT=bob@example.org B_ALIVE=bob@laptop.example.net
cat >"$LAB_TMP/recipients" <<TABLE
# recipient        laptop         alive destination
$A_RCPT $PL_LAPTOP $A_ALIVE
Bob@Example.org    $PL_SILENT     $B_ALIVE   # his laptop is off
TABLE
conf() {
	{
		printf '[probe]\nstate_dir = %s\n' "$PL_STATE"
		printf '[redirect]\nrecipients = %s\nstate_dir = %s\naway = home\n' \
			"$LAB_TMP/recipients" "$PL_STATE"
		local kv
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$LAB_TMP/roam.conf"
}
conf
R=(ip netns exec "$PL_P" "$ROAM_BUILD/roam-redirect" -c "$LAB_TMP/roam.conf")

# roam-probe: no target of its own, the table's two
pl_probe -c "$LAB_TMP/roam.conf" -q -m icmp -t 500; rc=$?
is "$rc" 1 "roam-probe with only a recipients table: one target unreachable, exit 1"
like "$(cat "$PL_STATE/$PL_LAPTOP" 2>&1)" "^v1 alive " "  the table's live target has its state file: alive"
like "$(cat "$PL_STATE/$PL_SILENT" 2>&1)" "^v1 dead " "  the silent one's says dead"

# roam-redirect --for, as procmail would run it
is "$("${R[@]}" --for "$A_RCPT" </dev/null)" "$A_ALIVE" "--for alice (alive): her alive destination"
is "$("${R[@]}" --for BOB@example.org </dev/null)" home "--for bob (dead), any case: away"
is "$("${R[@]}" --for carol@example.org </dev/null)" home "--for a recipient not in the table: away"
is "$("${R[@]}" </dev/null)" home "no --for with a table: away"

# --exit-status: output and status are the contract
out=$("${R[@]}" --exit-status --for "$A_RCPT"); rc=$?
is "$out/$rc" "$A_ALIVE/0" "--exit-status, alive: the destination, exit 0"
out=$("${R[@]}" --exit-status --for "$B_RCPT"); rc=$?
is "$out/$rc" "/1" "--exit-status, dead: nothing, exit 1"
out=$("${R[@]}" --exit-status --for carol@example.org); rc=$?
is "$out/$rc" "/1" "--exit-status, unknown recipient: nothing, exit 1"
out=$("${R[@]}" --exit-status --for "$A_RCPT" --bogus); rc=$?
is "$out/$rc" "/1" "--exit-status with a bad option: nothing, exit 1"
# it never waits for a message on stdin (Sieve's execute without :pipe)
out=$(sleep 5 | timeout 3 "${R[@]}" --exit-status --for "$A_RCPT"); rc=$?
is "$out/$rc" "$A_ALIVE/0" "--exit-status does not read stdin"

# a table with an error: FILE:LINE in the log, and nobody is alive
cp "$LAB_TMP/recipients" "$LAB_TMP/recipients.good"
echo "carol@example.org 198.51.100.300 carol@laptop" >>"$LAB_TMP/recipients"
err=$("${R[@]}" -v --exit-status --for "$A_RCPT" 2>&1 >"$LAB_TMP/out"); rc=$?
is "$(cat "$LAB_TMP/out")/$rc" "/1" "a bad table: nothing, exit 1"
like "$err" "recipients:4: target '198.51.100.300'" "  the log names FILE:LINE"
is "$("${R[@]}" --for "$A_RCPT" </dev/null)" home "  and procmail's roam-redirect prints away"
err=$(pl_probe -c "$LAB_TMP/roam.conf" -q -m icmp -t 500 2>&1); rc=$?
is "$rc" 3 "  roam-probe refuses it too (exit 3)"
like "$err" "recipients:4:" "  naming FILE:LINE"
cp "$LAB_TMP/recipients.good" "$LAB_TMP/recipients"

# a signal while its own probe runs (stale state, silent target): nothing, 1
echo "v1 alive 1000 $(($(date +%s) - 100000)) 0 dgram" >"$PL_STATE/$PL_SILENT"
conf deadline=20000 method=tcp:25
"${R[@]}" --exit-status --for "$B_RCPT" >"$LAB_TMP/sig.out" &
pid=$!
for ((i = 0; i < 500; i++)); do
	read -r nr _ <"/proc/$pid/syscall" 2>/dev/null || break
	case $nr in 7|232|271|281|42) break ;; esac
	sleep 0.01
done
kill -TERM "$pid"; wait "$pid"; rc=$?
is "$(cat "$LAB_TMP/sig.out")/$rc" "/1" "SIGTERM during the own probe: nothing, exit 1"
done_testing
