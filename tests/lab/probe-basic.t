#!/usr/bin/env bash
# roam-probe against a real kernel: alive and dead with each method, a refused
# TCP port is alive, many targets in one pass, state files, --json through jq.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 24

ok "two namespaces on one link" pl_setup

out=$(pl_probe -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP"); rc=$?
is "$rc" 0 "icmp: the laptop is alive (exit 0)"
like "$out" "^$PL_LAPTOP is alive \([0-9]+\.[0-9]{2} ms, icmp\)$" "icmp: fping-like line"
line=$(cat "$PL_STATE/$PL_LAPTOP")
like "$line" "^v1 alive [0-9]+ [0-9]+ [0-9]+ icmp$" "the state file holds one v1 line"
is "$(stat -c %a "$PL_STATE")/$(stat -c %a "$PL_STATE/$PL_LAPTOP")" "755/644" \
	"state dir created 0755, state file 0644"

pl_ping_groups "$PL_P" "0 2147483647"
out=$(pl_probe -m dgram -n "$PL_LAPTOP"); rc=$?
is "$rc" 0 "dgram: alive (exit 0)"
like "$out" "^$PL_LAPTOP is alive \(.*, dgram\)$" "dgram: says so"
pl_ping_groups "$PL_P" "1 0"

port=$(lab_free_port)
out=$(pl_probe -m "tcp:$port" -n "$PL_LAPTOP"); rc=$?
is "$rc" 0 "tcp to a closed port: the refusal (RST) means alive"
like "$out" "^$PL_LAPTOP is alive \(.*, tcp:$port\)$" "tcp: names the port"
ok "a listener in the laptop namespace" pl_listen "$PL_T" "$PL_LAPTOP" "$port"
out=$(pl_probe -m tcp -p "$port" -n "$PL_LAPTOP"); rc=$?
like "$rc $out" "^0 $PL_LAPTOP is alive \(.*, tcp:$port\)$" "tcp to a listener: alive"

# dead: the laptop drops everything we send, silently
pl_nft "$PL_T" ip saddr "$PL_MAIL" drop
for m in icmp dgram "tcp:$port"; do
	[ "$m" = dgram ] && pl_ping_groups "$PL_P" "0 2147483647"
	out=$(pl_probe -m "$m" -k 2 -t 300 --state-dir "$PL_STATE" "$PL_LAPTOP"); rc=$?
	is "$rc/$out" "1/$PL_LAPTOP is unreachable" "$m: a silent host is unreachable (exit 1)"
done
like "$(cat "$PL_STATE/$PL_LAPTOP")" "^v1 dead [0-9]+ [0-9]+ 0 tcp:$port$" "the state file says dead"
pl_nft_flush "$PL_T"

# one pass, two answers: alive and silent (nobody owns $PL_SILENT)
out=$(pl_probe -m icmp -n --json "$PL_LAPTOP" "$PL_SILENT"); rc=$?
is "$rc" 1 "one alive, one silent: exit 1"
ok "--json: every line is a JSON object (jq)" jq -e . <<<"$out"
is "$(jq -r 'select(.address == "'"$PL_LAPTOP"'") | .state + " " + .method' <<<"$out")" \
	"alive icmp" "--json: the laptop alive by icmp"
is "$(jq -r 'select(.target == "'"$PL_SILENT"'") | .state + " " + (.rtt_ms | tostring)' <<<"$out")" \
	"dead null" "--json: the silent address dead, rtt_ms null"
is "$(jq -s 'map(select((.checked | type) == "number" and .since <= .checked)) | length' <<<"$out")" \
	2 "--json: checked and since are numbers, since <= checked"

# since survives a pass that agrees, checked moves
echo "v1 alive 1000 2000 5 icmp" >"$PL_STATE/$PL_LAPTOP"
pl_probe -q -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP"
is "$(pl_field "$PL_STATE/$PL_LAPTOP" 3)" 1000 "an agreeing pass keeps SINCE"
like "$(pl_field "$PL_STATE/$PL_LAPTOP" 4)" "^[0-9]{10}$" "and sets CHECKED to now"
echo "v1 dead 1000 2000 0 icmp" >"$PL_STATE/$PL_LAPTOP"
pl_probe -q -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP"
is "$(pl_field "$PL_STATE/$PL_LAPTOP" 2)/$(pl_field "$PL_STATE/$PL_LAPTOP" 3)" \
	"alive/$(pl_field "$PL_STATE/$PL_LAPTOP" 4)" "a change sets SINCE to the pass"
is "$(find "$PL_STATE" -name '.*' -type f | wc -l)" 0 "no temporary files are left"

done_testing
