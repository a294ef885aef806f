#!/usr/bin/env bash
# roam-probe as nobody (setpriv, no capabilities): auto uses dgram when
# ping_group_range allows it and falls back to tcp when it does not.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 14

ok "two namespaces on one link" pl_setup
port=$(lab_free_port)

pl_ping_groups "$PL_P" "0 2147483647"
out=$(pl_as_nobody -v -n -p "$port" "$PL_LAPTOP" 2>"$LAB_TMP/err"); rc=$?
is "$rc" 0 "nobody, ping_group_range allows: alive"
like "$out" "^$PL_LAPTOP is alive \(.*, dgram\)$" "auto chose dgram"
like "$(cat "$LAB_TMP/err")" "with dgram" "-v says which method ran"

pl_ping_groups "$PL_P" "1 0"
out=$(pl_as_nobody -v -n -p "$port" "$PL_LAPTOP" 2>"$LAB_TMP/err"); rc=$?
is "$rc" 0 "nobody, ping_group_range \"1 0\": still alive"
like "$out" "^$PL_LAPTOP is alive \(.*, tcp:$port\)$" "auto fell back to tcp (a refused port)"
like "$(cat "$LAB_TMP/err")" "with tcp" "-v says tcp"
like "$(cat "$LAB_TMP/err")" "skipped before tcp: icmp: .*; dgram: .*ping_group_range" \
	"-v says why icmp and dgram were skipped"

err=$(pl_as_nobody -n -m icmp "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "nobody, -m icmp: no raw socket, exit 4"
like "$err" "no probe method is available \(icmp: " "the error says why"
err=$(pl_as_nobody -n -m dgram "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
like "$rc $err" "^4 .*ping_group_range" "nobody, -m dgram, group not allowed: exit 4 naming the sysctl"

# a silent host is dead, whatever the method: silence never triggers a fallback
pl_nft "$PL_T" ip saddr "$PL_MAIL" drop
out=$(pl_as_nobody -n -k 2 -t 300 -p "$port" "$PL_LAPTOP"); rc=$?
is "$rc/$out" "1/$PL_LAPTOP is unreachable" "nobody, tcp fallback, silent host: exit 1"
pl_nft_flush "$PL_T"
pl_ping_groups "$PL_P" "0 2147483647"
pl_nft "$PL_T" ip saddr "$PL_MAIL" icmp type echo-request drop
out=$(pl_as_nobody -n -k 2 -t 300 -p "$port" "$PL_LAPTOP"); rc=$?
is "$rc/$out" "1/$PL_LAPTOP is unreachable" "dgram allowed but ICMP dropped: dead, no fallback to tcp"
pl_nft_flush "$PL_T"

# the state directory: nobody writes into its own
install -d -o nobody -g nogroup -m 0755 "$LAB_TMP/nobody-state"
pl_as_nobody -q --state-dir "$LAB_TMP/nobody-state" -p "$port" "$PL_LAPTOP"
like "$(cat "$LAB_TMP/nobody-state/$PL_LAPTOP" 2>&1)" "^v1 alive .* dgram$" \
	"nobody writes the state file into its own state dir"

done_testing
