#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# roam-probe gives up CAP_NET_RAW as soon as liboping's raw socket exists
# (issue 14, item 9): a running --watch has no capability left, effective,
# permitted or ambient, cannot regain one (no_new_privs), and still probes
# with icmp pass after pass. Both ways it gets the privilege: root, and an
# unprivileged user with CAP_NET_RAW ambient, as contrib/roam-probe.service
# gives it.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 13

ok "two namespaces on one link" pl_setup
wait_for() { local i; for ((i = 0; i < 3000; i++)); do "$@" && return 0; sleep 0.01; done; return 1; }
passes_at_least() { [ "$(grep -c 'probed 1 target with icmp' "$1")" -ge "$2" ]; }
caps() { awk '/^Cap(Eff|Prm|Amb):|^NoNewPrivs:/ { printf "%s%s ", $1, $2 }' "/proc/$1/status"; }
none="CapPrm:0000000000000000 CapEff:0000000000000000 CapAmb:0000000000000000 NoNewPrivs:1 "

# watch_as WHO STATE_DIR CMD-PREFIX…: starts a --watch, icmp only
watch_as() {
	local who=$1 dir=$2; shift 2
	mkdir -p "$dir" && chown "$who" "$dir"
	ip netns exec "$PL_P" "$@" "$PL_BIN" -c /dev/null --watch -i 1 -v -m icmp -k 1 -t 500 \
		--state-dir "$dir" "$PL_LAPTOP" >/dev/null 2>"$dir.log" &
	pid=$!
}

watch_as root "$LAB_TMP/root"
ok "as root: the first pass writes the state" wait_for test -s "$LAB_TMP/root/$PL_LAPTOP"
is "$(awk '{ print $2, $6 }' "$LAB_TMP/root/$PL_LAPTOP")" "alive icmp" "alive, through icmp"
is "$(caps "$pid")" "$none" "a running --watch started by root holds no capability"
ok "three more icmp passes without it" wait_for passes_at_least "$LAB_TMP/root.log" 4
# real answers, not a stale file: the laptop goes silent, then answers again
pl_nft "$PL_T" icmp type echo-request drop
ok "a silenced laptop turns dead" wait_for grep -q '^v1 dead .* icmp$' "$LAB_TMP/root/$PL_LAPTOP"
pl_nft_flush "$PL_T"
ok "and alive again when it answers" wait_for grep -q '^v1 alive .* icmp$' "$LAB_TMP/root/$PL_LAPTOP"
kill -TERM "$pid"; wait "$pid"
is "$?" 0 "SIGTERM: exit 0"

# what the systemd unit does: User=roam, AmbientCapabilities=CAP_NET_RAW
watch_as nobody "$LAB_TMP/svc" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=+net_raw --ambient-caps=+net_raw
ok "as nobody with CAP_NET_RAW ambient: the first pass writes the state" \
	wait_for test -s "$LAB_TMP/svc/$PL_LAPTOP"
is "$(awk '{ print $2, $6 }' "$LAB_TMP/svc/$PL_LAPTOP")" "alive icmp" "alive, through icmp"
is "$(caps "$pid")" "$none" "and then no capability at all"
ok "three more icmp passes without it" wait_for passes_at_least "$LAB_TMP/svc.log" 4
kill -TERM "$pid"; wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
