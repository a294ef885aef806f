#!/usr/bin/env bash
# roam-probe --watch: hysteresis over passes, state files refreshed only on a
# change or before half of [redirect] max_age, SIGHUP reloads (a bad config is
# refused and the old one kept), SIGTERM and SIGINT end it cleanly.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 16

ok "two namespaces on one link" pl_setup
conf=$LAB_TMP/roam.conf
state=$LAB_TMP/state
log=$LAB_TMP/watch.err
out=$LAB_TMP/watch.out
write_conf() {	# write_conf MAX_AGE [EXTRA LINE]
	printf '[probe]\ntarget = %s\nmethod = icmp\ncount = 2\ntimeout = 300\nhysteresis = 3\n%s\n[redirect]\nmax_age = %s\n' \
		"$PL_LAPTOP" "${2:-}" "$1" >"$conf"
}
passes() { grep -c 'probed 1 target' "$log"; }
# wait_for CMD…: poll (10 ms steps, at most 30 s) until CMD succeeds
wait_for() { local i; for ((i = 0; i < 3000; i++)); do "$@" && return 0; sleep 0.01; done; return 1; }
passes_at_least() { [ "$(passes)" -ge "$1" ]; }
field() { awk -v n="$1" '{ print $n }' "$state/$PL_LAPTOP" 2>/dev/null; }

write_conf 120
ip netns exec "$PL_P" "$PL_BIN" -c "$conf" --watch -i 1 -v --state-dir "$state" >"$out" 2>"$log" &
pid=$!
ok "the first pass writes the state file" wait_for test -s "$state/$PL_LAPTOP"
is "$(field 2)" alive "the laptop is alive"
checked=$(field 4)
n=$(passes)
ok "three more passes" wait_for passes_at_least $((n + 3))
is "$(field 4)" "$checked" "unchanged and younger than max_age/2: the file is not rewritten"

# hysteresis = 3: the state flips only after three silent passes in a row
pl_nft "$PL_T" ip saddr "$PL_MAIL" drop
n0=$(passes)
ok "the state flips to dead" wait_for grep -q '^v1 dead' "$state/$PL_LAPTOP"
n1=$(passes)
like "$((n1 - n0))" '^([3-9]|[1-9][0-9]+)$' "only after at least 3 passes ($((n1 - n0)) counted)"
like "$(cat "$out")" "$PL_LAPTOP is unreachable" "the change is printed"
pl_nft_flush "$PL_T"
ok "and back to alive after three good passes" wait_for grep -q '^v1 alive' "$state/$PL_LAPTOP"

# SIGHUP: a broken config is refused, a good one is taken (max_age 2: refresh every second)
printf '[probe]\ntagret = x\n' >"$conf"
kill -HUP "$pid"
ok "a broken config on SIGHUP is refused" wait_for grep -q 'reload failed; keeping' "$log"
ok "and the prober keeps running" kill -0 "$pid"
write_conf 2
kill -HUP "$pid"
ok "SIGHUP reloads the configuration" wait_for grep -q 'configuration reloaded: 1 target' "$log"
checked=$(field 4)
n=$(passes)
wait_for passes_at_least $((n + 3))
like "$(field 4)" "^[0-9]+$" "the state file is still valid"
ok "older than max_age/2: rewritten although unchanged" test "$(field 4)" -gt "$checked"

kill -TERM "$pid"
wait "$pid"; rc=$?
is "$rc" 0 "SIGTERM: clean exit 0"
ip netns exec "$PL_P" "$PL_BIN" -c "$conf" --watch -i 1 --state-dir "$state" >/dev/null 2>&1 &
pid=$!
wait_for test -s "$state/$PL_LAPTOP"
sleep 0.2
kill -INT "$pid"
wait "$pid"; rc=$?
is "$rc/$(find "$state" -name '.*' -type f | wc -l)" "0/0" "SIGINT: clean exit 0, no temporary files"

done_testing
