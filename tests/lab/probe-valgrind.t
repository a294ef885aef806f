#!/usr/bin/env bash
# roam-probe itself under valgrind's memcheck, as users run it (the plain
# build): every method, bad input, state files, and --watch through SIGHUP and
# SIGTERM. Any invalid access, uninitialised read or leak fails (exit 77).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind is not installed"; exit 0; }
lab_require_root
lab_init
plan 9

ok "two namespaces on one link" pl_setup
pl_ping_groups "$PL_P" "0 2147483647"
VG=(valgrind -q --error-exitcode=77 --leak-check=full --show-leak-kinds=all
	--errors-for-leak-kinds=all)
vg() { ip netns exec "$PL_P" "${VG[@]}" "$PL_BIN" "$@" >/dev/null 2>"$LAB_TMP/vg.err"; }
# vg_is WANT DESC ARGS…: the exit status roam-probe means, not valgrind's 77
vg_is() {
	local want=$1 desc=$2 rc; shift 2
	vg "$@"; rc=$?
	is "$rc" "$want" "$desc"
	[ "$rc" = "$want" ] || diag "$(tail -n 20 "$LAB_TMP/vg.err")"
}

vg_is 1 "icmp, alive and silent targets and a name" -n -m icmp -t 300 "$PL_LAPTOP" "$PL_SILENT" localhost
vg_is 1 "dgram" -n -m dgram -t 300 "$PL_LAPTOP" "$PL_SILENT"
vg_is 1 "tcp, with a duplicate" -n -m tcp:9 -t 300 "$PL_LAPTOP" "$PL_SILENT" "$PL_LAPTOP"
vg_is 2 "bad targets, --json" -n --json "$PL_LAPTOP" 2001:db8::1 1.2.3 no-such-host.invalid
vg_is 3 "a bad option" -k 0 "$PL_LAPTOP"
vg_is 0 "state files" -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP"
ln -s "$LAB_TMP" "$LAB_TMP/link"
vg_is 4 "a symlinked state dir" -m icmp --state-dir "$LAB_TMP/link" "$PL_LAPTOP"
printf '[probe]\ntarget = %s\ninterval = 1\ntimeout = 300\n' "$PL_LAPTOP" >"$LAB_TMP/w.conf"
ip netns exec "$PL_P" "${VG[@]}" "$PL_BIN" -c "$LAB_TMP/w.conf" --watch -v \
	--state-dir "$PL_STATE" >/dev/null 2>"$LAB_TMP/w.err" &
pid=$!
n=0
until [ "$(grep -c 'probed 1 target' "$LAB_TMP/w.err")" -ge 2 ] || [ $n -ge 3000 ]; do sleep 0.01; n=$((n + 1)); done
kill -HUP "$pid"
n=0
until grep -q 'configuration reloaded' "$LAB_TMP/w.err" || [ $n -ge 3000 ]; do sleep 0.01; n=$((n + 1)); done
kill -TERM "$pid"
wait "$pid"; rc=$?
is "$rc" 0 "--watch, a pass, SIGHUP, a pass, SIGTERM"
[ "$rc" = 0 ] || diag "$(tail -n 20 "$LAB_TMP/w.err")"

done_testing
