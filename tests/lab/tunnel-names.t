#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# remote = NAME (a home with a dynamic address, reached by its DNS name), on
# this kernel without ipip: build/tools/roam-tunnel-lab with a veth standing in
# for tunl1, as in tunnel-policy.t. The name goes through glibc's real name
# service: each run gets its own /etc/hosts, nsswitch.conf ("hosts: files")
# and resolv.conf (127.0.0.1) bind-mounted in a private mount namespace, so
# nothing asks a real DNS server and the host's files are not touched. up
# resolves it, status and down take the address up used (they work offline),
# a moved name moves the pinned route (the old one goes), a name that does not
# resolve fails up with FILE:LINE and changes nothing.
#
#   rt 203.0.113.193 ── mobile 203.0.113.230; tunl1 a veth pair inside the mobile
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
RT=$ROAM_BUILD/tools/roam-tunnel-lab
[ -x "$RT" ] || { echo "1..0 # SKIP $RT not built (make tests)"; exit 0; }
command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare (util-linux)"; exit 0; }
lab_require_root
lab_init

ROUTER=$(lab_ns rt) MOB=$(lab_ns mob) || { echo "Bail out! namespaces"; exit 1; }
ip netns exec "$MOB" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
lab_link "$ROUTER" 203.0.113.193/26 "$MOB" 203.0.113.230/26 || { echo "Bail out! link"; exit 1; }
MOB_IF=$LAB_LINK_IF2
ip -n "$MOB" link add tunl1 type veth peer name tunl1p && ip -n "$MOB" link set tunl1p up &&
	ip -n "$MOB" link set tunl1 up && ip -n "$MOB" route add default via 203.0.113.193 ||
	{ echo "Bail out! tunl1"; exit 1; }

lab_tunnel_conf "$LAB_TMP/mob.conf" mobile remote=gw.home.example table=201 priority=2000
echo "hosts: files" >"$LAB_TMP/nsswitch.conf"
echo "nameserver 127.0.0.1" >"$LAB_TMP/resolv.conf"
: >"$LAB_TMP/hosts"
home_is() { if [ $# = 1 ]; then echo "$1 gw.home.example"; fi >"$LAB_TMP/hosts"; }	# in place: the bind mount stays
rt_mob() {
	unshare -m sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf &&
		mount --bind "$3" /etc/resolv.conf && shift 3 && exec "$@"' sh \
		"$LAB_TMP/hosts" "$LAB_TMP/nsswitch.conf" "$LAB_TMP/resolv.conf" \
		ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run" "$RT" -c "$LAB_TMP/mob.conf" "$@"
}
dump() {
	ip -n "$MOB" -d -4 addr show
	ip -n "$MOB" -d -4 route show table all
	ip -n "$MOB" -d -4 rule show
}
# carrier reaches the other end of a veth a moment later: dump once it has
for _ in $(seq 200); do
	ip -n "$MOB" -o link show "$MOB_IF" | grep -q 'state UP' &&
		ip -n "$MOB" -o link show tunl1 | grep -q 'state UP' && break
	sleep 0.05
done
pinned() { ip -n "$MOB" route show "$1"; }
state=$LAB_TMP/run/tunnel-tunl1.state
dump >"$LAB_TMP/before"


# a name nobody knows: up fails naming the key's line, and nothing is made
home_is
out=$(rt_mob up 2>&1)
is "$?" 4 "up with a name that does not resolve: exit 4"
like "$out" "mob.conf:3: cannot resolve gw.home.example: " "  the error names FILE:LINE and the name"
dump >"$LAB_TMP/after-fail"
ok "  nothing was made (dumps equal)" diff -u "$LAB_TMP/before" "$LAB_TMP/after-fail"

home_is 198.51.100.238
like "$(rt_mob -n up)" "ip route add 198.51.100.238/32 via 203.0.113.193 dev $MOB_IF" \
	"-n up: the name's address is what gets pinned"
ok "up" rt_mob up
like "$(pinned 198.51.100.238)" "via 203.0.113.193 dev $MOB_IF" "  198.51.100.238 pinned via the router"
like "$(cat "$state")" "resolved 198.51.100.238" "  the state remembers the address used"

# the home moves (a new lease at home, its DNS name updated)
home_is 198.51.100.239
out=$(rt_mob status); is "$?" 0 "status after the name moved: 0 (what up set up is all there)"
like "$out" "198.51.100.238" "  status shows the address in use, from the state"
out=$(rt_mob -n up)
like "$out" "ip route add 198.51.100.239/32 via 203.0.113.193 dev $MOB_IF" "-n up: pins the new address"
like "$out" "ip route del 198.51.100.238/32" "  and removes the old pin"
ok "up follows the name" rt_mob up
like "$(pinned 198.51.100.239)" "via 203.0.113.193 dev $MOB_IF" "  the new address is pinned"
is "$(pinned 198.51.100.238)" "" "  the old pin is gone"
is "$(grep -c 198.51.100.238 "$state")" 0 "  and the state forgot it"
out=$(rt_mob -vv up 2>&1)
like "$out" " 0 netlink changes" "up again: nothing to change"

# offline: the name resolves no more; status and down work from the state
home_is
out=$(rt_mob status 2>&1); is "$?" 0 "status with the name unknown: 0, from the state"
ok "down with the name unknown" rt_mob down
dump >"$LAB_TMP/after"
ok "  down leaves no trace (dumps equal)" diff -u "$LAB_TMP/before" "$LAB_TMP/after"
out=$(rt_mob -v down 2>&1); is "$?" 0 "down again, nothing up and no state: 0"
like "$out" "cannot resolve gw.home.example" "  with a warning naming the name"
done_testing
