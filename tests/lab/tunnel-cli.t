#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real roam-tunnel on this kernel (which has no ipip): options, every exit
# status that does not need a tunnel, config errors with FILE:LINE, the -n plan
# from a namespace's real uplink and router, and `up` failing at the ipip link
# and rolling back what it had made before it. The tunnel itself: tests/vm/tunnel.t.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
RT=$ROAM_BUILD/roam-tunnel
[ -x "$RT" ] || { echo "1..0 # SKIP $RT not built"; exit 0; }
lab_require_root
lab_init

run() { out=$("$@" 2>&1); rc=$?; }

run "$RT" --help
is "$rc" 0 "--help: exit 0"
like "$out" "up +create what is missing.*register +gateway" "--help lists the commands from the table"
run "$RT" --version
like "$rc $out" "^0 roam-tunnel [0-9]" "--version"
run "$RT"
is "$rc" 3 "no command: exit 3"
run "$RT" upp
is "$rc" 3 "unknown command: exit 3"
like "$out" "unknown command 'upp'" "  and it says which"
run "$RT" -x up
is "$rc" 3 "unknown option: exit 3"
run "$RT" up down
is "$rc" 3 "two commands: exit 3"
run "$RT" -c "$LAB_TMP/none.conf" status
is "$rc" 3 "a missing -c file: exit 3"

printf '[tunnel]\nrole = mobile\nremote = 198.51.100.238\ntagret = x\n' >"$LAB_TMP/bad.conf"
run "$RT" -c "$LAB_TMP/bad.conf" status
is "$rc" 3 "unknown key: exit 3"
like "$out" "$LAB_TMP/bad.conf:4: unknown key 'tagret' in \\[tunnel\\]" "  FILE:LINE: message"
printf '[tunnel]\nrole = gateway\nremote = 203.0.113.230\ninner_local = 192.0.2.10\ninner_remote = 192.0.2.20\nexported = 198.51.100.180\n' \
	>"$LAB_TMP/nolan.conf"
run "$RT" -c "$LAB_TMP/nolan.conf" up
like "$rc $out" "^3 .*nolan.conf: missing key 'lan_dev'" "gateway without lan_dev: exit 3, names the file"

# a laptop on the guest LAN: uplink with address and router, nothing else
MOB=$(lab_ns mob) RTR=$(lab_ns rtr)
lab_link "$MOB" 203.0.113.230/26 "$RTR" 203.0.113.193/26
UP_IF=$LAB_LINK_IF1
ip -n "$MOB" route add default via 203.0.113.193
lab_tunnel_conf "$LAB_TMP/mob.conf" mobile home_net=198.51.100.0/24 ports=tcp/25
lab_tunnel_conf "$LAB_TMP/gw.conf" gateway local=203.0.113.230 remote=203.0.113.10 \
	lan_dev="$UP_IF" allow_from=203.0.113.0/26
mob() { ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run" "$RT" "$@"; }

run mob -c "$LAB_TMP/mob.conf" -n up
is "$rc" 0 "mobile -n up: exit 0"
is "$out" "ip route add 198.51.100.238/32 via 203.0.113.193 dev $UP_IF proto static
ip link add tunl1 type ipip local 203.0.113.230 remote 198.51.100.238 ttl 64
ip link set tunl1 up
ip addr add 192.0.2.20 peer 192.0.2.10 dev tunl1
ip addr add 198.51.100.180 dev tunl1
ip route add default via 192.0.2.10 dev tunl1 src 198.51.100.180 table 200 proto static
ip route add 198.51.100.0/24 dev tunl1 src 198.51.100.180 proto static
ip rule add from 198.51.100.180 lookup 200 priority 1000
ip rule add ipproto tcp dport 25 lookup 200 priority 1001" \
	"-n prints the plan as ip commands, with this namespace's uplink, router and address"
# a router outside the uplink's subnets: the pinned route needs onlink
ip -n "$MOB" route replace default via 203.0.113.1 dev "$UP_IF" onlink
run mob -c "$LAB_TMP/mob.conf" -n up
like "$out" "^ip route add 198.51.100.238/32 via 203.0.113.1 dev $UP_IF onlink proto static" \
	"a router outside the uplink's subnet: onlink"
ip -n "$MOB" route replace default via 203.0.113.193

run mob -c "$LAB_TMP/mob.conf" status
is "$rc" 2 "status with nothing up: exit 2"
like "$out" "missing +link tunl1" "  the link is listed missing"
run mob -c "$LAB_TMP/mob.conf" -v roam
is "$rc" 2 "roam with nothing up: exit 2"
like "$out" "tunl1 is not up: nothing to roam" "  -v: it says why"
run mob -c "$LAB_TMP/mob.conf" -q roam
is "$rc:$out" "2:" "  -q (a hook, a cron line): exit 2 and not a word"
run mob -c "$LAB_TMP/gw.conf" roam
is "$rc" 3 "roam on a gateway: exit 3"
run mob --rundir "$LAB_TMP/run" -c "$LAB_TMP/mob.conf" register
is "$rc" 3 "register on a mobile: exit 3"
run mob --rundir "$LAB_TMP/run" -c "$LAB_TMP/gw.conf" register
is "$rc" 5 "register without SSH_CONNECTION: exit 5"
SSH_CONNECTION="198.51.100.7 50000 203.0.113.230 22" run mob --rundir "$LAB_TMP/run" -c "$LAB_TMP/gw.conf" register
like "$rc $out" "^5 .*outside allow_from" "register from outside allow_from: exit 5"
# register is the ssh forced command: a key holder's environment (AcceptEnv,
# PermitUserEnvironment) must not choose where root writes; the admin's
# --rundir in authorized_keys does
SSH_CONNECTION="203.0.113.10 50000 203.0.113.230 22" run ip netns exec "$MOB" \
	env ROAM_RUNDIR="$LAB_TMP/evil" "$RT" -v --rundir "$LAB_TMP/reg" -c "$LAB_TMP/gw.conf" register
like "$rc $out" "^4 .*not up" "register of an allowed address without a tunnel: exit 4"
like "$out" "ignoring \\\$ROAM_RUNDIR: register is an ssh forced command" "  register ignores \$ROAM_RUNDIR, and says so"
ok "  nothing written where \$ROAM_RUNDIR pointed" test ! -e "$LAB_TMP/evil"
ok "  the lock is in --rundir" test -e "$LAB_TMP/reg/tunnel-tunl1.lock"
run "$RT" --rundir run -c "$LAB_TMP/gw.conf" status
like "$rc $out" "^3 .*--rundir 'run': not an absolute path" "--rundir must be absolute: exit 3"
# only root's own environment counts
run ip netns exec "$MOB" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env ROAM_TUNNEL_SSH=/tmp/x ROAM_RUNDIR=/tmp/y "$RT" -v -n -c "$LAB_TMP/mob.conf" up
like "$out" "ignoring \\\$ROAM_RUNDIR: not set by root.*ignoring \\\$ROAM_TUNNEL_SSH: not set by root" \
	"not root: \$ROAM_RUNDIR and \$ROAM_TUNNEL_SSH are ignored"
mkdir -m 0777 "$LAB_TMP/open-run"
run ip netns exec "$MOB" "$RT" --rundir "$LAB_TMP/open-run" -c "$LAB_TMP/mob.conf" status
like "$rc $out" "^4 .*open-run: writable by others \(mode 0777\); refusing it" \
	"a run directory others can write: refused (exit 4)"

# one run at a time per tunnel: while another holds the lock, a run waits (a dry run does not)
mkdir -p "$LAB_TMP/run"
exec 9>"$LAB_TMP/run/tunnel-tunl1.lock"
flock 9
run timeout 2 ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run" "$RT" -c "$LAB_TMP/mob.conf" status
is "$rc" 124 "status waits while another run holds tunnel-tunl1.lock (killed by timeout)"
run mob -n -c "$LAB_TMP/mob.conf" up
is "$rc" 0 "  a dry run does not wait"
exec 9>&-
run mob -c "$LAB_TMP/mob.conf" status
is "$rc" 2 "  once the lock is free, status runs (exit 2: down)"

dump() {
	ip -n "$MOB" -d link show; ip -n "$MOB" -d -4 addr show; ip -n "$MOB" -d -4 route show table all
	ip -n "$MOB" -d -4 rule show; ip -n "$MOB" -4 neigh show proxy; ip netns exec "$MOB" cat /proc/sys/net/ipv4/ip_forward
}
if ip -n "$MOB" link add probe0 type ipip remote 198.51.100.238 2>/dev/null; then
	ip -n "$MOB" link del probe0
	skip "up fails at the link and rolls back" "this kernel has ipip (tests/vm covers up)"
	skip "  the pinned route it had made is gone again" "this kernel has ipip"
	skip "  gateway: ip_forward turned back" "this kernel has ipip"
else
	ip netns exec "$MOB" sysctl -qw net.ipv4.ip_forward=0
	dump >"$LAB_TMP/before"
	run mob -v -c "$LAB_TMP/mob.conf" up
	like "$rc $out" "^4 .*add link tunl1 type ipip .*modprobe ipip" "no ipip here: up exits 4 and says why"
	dump >"$LAB_TMP/after"
	ok "  the pinned route it had made is gone again (full dumps equal)" diff -u "$LAB_TMP/before" "$LAB_TMP/after"
	run mob -v -c "$LAB_TMP/gw.conf" up
	like "$rc $(ip netns exec "$MOB" cat /proc/sys/net/ipv4/ip_forward)" "^4 0$" \
		"  gateway: ip_forward turned on and back off"
fi
done_testing
