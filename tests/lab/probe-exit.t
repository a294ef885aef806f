#!/usr/bin/env bash
# Every exit status of roam-probe (0 alive, 1 unreachable, 2 bad address or
# name, 3 bad arguments or config, 4 system error) and the bad inputs that
# lead to them; duplicates are probed once; 10 000 targets in one pass.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 37

ok "two namespaces on one link" pl_setup

# run ARGS…: sets rc, out (stdout) and err (stderr)
run() { pl_probe "$@" >"$LAB_TMP/out" 2>"$LAB_TMP/err"; rc=$?; out=$(cat "$LAB_TMP/out"); err=$(cat "$LAB_TMP/err"); }

run --help
like "$rc $out" "^0 Usage: roam-probe" "--help: usage on stdout, exit 0"
run --version
is "$rc $out" "0 roam-probe $(cat "$ROAM_TOP/VERSION")" "--version: the version, exit 0"

run -n -m icmp "$PL_LAPTOP"
is "$rc" 0 "0: every target alive"
run -n -m icmp -k 1 -t 200 "$PL_LAPTOP" "$PL_SILENT"
is "$rc" 1 "1: one target unreachable"

# 2: bad addresses and names — one line each, the good targets are still probed
run -n -m icmp "$PL_LAPTOP" 198.51.100.256
is "$rc" 2 "2: a bad dotted quad"
like "$err" "'198.51.100.256' is not a dotted-quad IPv4 address" "names the bad address"
like "$out" "^$PL_LAPTOP is alive" "the good target was probed all the same"
run -n -m icmp 2001:db8::1
like "$rc $err" "^2 .*IPv6.*IPv4 only" "2: IPv6 gets a clear error"
run -n -m icmp no-such-host.invalid
like "$rc $err" "^2 .*cannot resolve 'no-such-host.invalid'" "2: an unresolvable name"
run -n -m icmp 224.0.0.1 255.255.255.255 0.0.0.0
is "$rc $(grep -c 'not a unicast address' <<<"$err")" "2 3" "2: multicast, broadcast, 0/8 refused"
is "$(wc -l <<<"$err")" 3 "one line per bad target"

# 3: bad arguments and configuration
for args in "--bogus" "-k" "-k 0" "-k 101" "-k x" "-t 0" "-m udp" "-m tcp:0" "-p 70000" \
	"-i 5 $PL_LAPTOP" "--hysteresis 0" "-q --json"; do
	# shellcheck disable=SC2086  # words on purpose
	run -n $args "$PL_LAPTOP"
	is "$rc $(wc -l <<<"$err")" "3 1" "3: '$args' — one line"
done
printf '[probe]\ncount = 3\ntagret = %s\n' "$PL_LAPTOP" >"$LAB_TMP/bad.conf"
run -n -c "$LAB_TMP/bad.conf"
like "$rc $err" "^3 .*bad.conf:3: unknown key 'tagret' in \[probe\]" "3: an unknown key names FILE:LINE"
run -n -c "$LAB_TMP/none.conf" "$PL_LAPTOP"
is "$rc" 3 "3: -c with a missing file"
printf '[probe]\ncount = 2\n' >"$LAB_TMP/empty.conf"
run -n -c "$LAB_TMP/empty.conf"
like "$rc $err" "^3 .*no targets" "3: no targets anywhere"

# 4: system errors
ln -s "$LAB_TMP" "$LAB_TMP/statelink"
run -m icmp --state-dir "$LAB_TMP/statelink" "$PL_LAPTOP"
is "$rc" 4 "4: the state dir is a symlink"
run -n -m icmp -c /dev/null "$PL_LAPTOP"
is "$rc" 0 "(an empty config file is fine)"

# duplicates: one probe, one line, one state file
run -v -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP" "$PL_LAPTOP" "198.051.100.180"
is "$rc" 2 "a non-canonical quad (198.051.100.180) is a bad address"
run -v -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP" "$PL_LAPTOP"
is "$rc $(wc -l <<<"$out")" "0 1" "duplicates: probed once, one line"
like "$err" "same address as '$PL_LAPTOP': probed once" "-v says so"

# 10 000 targets from the config, answered by the mail server's own kernel
# (198.19.0.0/16 is local on its lo; 198.18.0.0/16 goes to the laptop, which drops it)
ip -n "$PL_P" route add local 198.19.0.0/16 dev lo
ip -n "$PL_P" route add 198.18.0.0/16 via "$PL_LAPTOP"
pl_nft "$PL_T" ip daddr 198.18.0.0/16 drop

# icmp, 1000 targets, half silent: every answer goes to its own target. (liboping
# matches replies by ICMP ident and sequence only; roam-probe gives every host its
# own ident. This lab answers too fast to force a collision: replies come back
# before the next request goes out, so the test does not prove that part.)
mixed=()
for ((i = 0; i < 500; i++)); do
	mixed+=("198.19.$((7 + i / 250)).$((i % 250 + 1))" "198.18.$((i / 250)).$((i % 250 + 1))")
done
run -n -m icmp -k 2 "${mixed[@]}"
is "$rc $(grep -c '^198\.19\..* is alive' <<<"$out")" "1 500" "icmp, 1000 targets: exactly the 500 live ones alive"
is "$(grep -c '^198\.18\..* is unreachable' <<<"$out")" 500 "and the 500 silent ones unreachable"
awk 'BEGIN { print "[probe]"; for (i = 1; i <= 10000; i++)
	printf "target = 198.19.%d.%d\n", int(i / 256), i % 256 }' >"$LAB_TMP/10k.conf"
run -c "$LAB_TMP/10k.conf" --state-dir "$LAB_TMP/10k"
is "$rc $(grep -c ' is alive ' <<<"$out")" "0 10000" "10 000 targets, auto (icmp declines above 1024): all alive"
is "$(find "$LAB_TMP/10k" -type f | wc -l)" 10000 "10 000 state files, no temporary ones"
ip netns exec "$PL_P" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
run -n -c "$LAB_TMP/10k.conf" -m dgram --json
is "$rc $(jq -r .state <<<"$out" | grep -c alive)" "0 10000" "10 000 targets with dgram: all alive"

done_testing
