#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# roam-tunnel's routes, rules, tables, proxy neighbours and ip_forward on this
# kernel, which has no ipip: build/tools/roam-tunnel-lab is roam-tunnel with the
# link left out of the plan, and a veth pair named tunl1 stands in for the
# tunnel between the gateway and the mobile. Everything else is the real
# module on the real kernel: up twice (no netlink event the second time),
# status, proxy ARP and policy routing with traffic, ports = tcp/25 by rule,
# rollback, and down leaving no trace. The ipip link itself: tests/vm/tunnel.t.
#
#   mail .152 ─┐ br0 198.51.100.0/24 ┌─ rt .3 / 203.0.113.193 ── mobile .230 (uplink)
#   gw   .238 ─┘                      
#   gw tunl1 (veth) ═══════════════════════════════════════════ mobile tunl1 (veth)
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
RT=$ROAM_BUILD/tools/roam-tunnel-lab
[ -x "$RT" ] || { echo "1..0 # SKIP $RT not built (make tests)"; exit 0; }
lab_require_root
lab_init
EXPORTED=198.51.100.180

quiet_ns() {	# no IPv6 (no DAD, no RA: nothing changes a dump by itself), no rp_filter
	local ns
	ns=$(lab_ns "$1") || return 1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 >/dev/null
	echo "$ns"
}
SW=$(quiet_ns sw) MAIL=$(quiet_ns mail) GW=$(quiet_ns gw) ROUTER=$(quiet_ns rt) MOB=$(quiet_ns mob)
ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up
port() {	# port NS IF ADDR/LEN: IF in NS, its other end on br0
	ip -n "$1" link add "$2" type veth peer name "p-$2-${1##*-}" netns "$SW" &&
	ip -n "$SW" link set "p-$2-${1##*-}" master br0 up &&
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up
}
port "$MAIL" eth0 198.51.100.152/24 && port "$GW" eth0 198.51.100.238/24 &&
	port "$ROUTER" home0 198.51.100.3/24 || { echo "Bail out! topology"; exit 1; }
lab_link "$ROUTER" 203.0.113.193/26 "$MOB" 203.0.113.230/26 || { echo "Bail out! guest"; exit 1; }
MOB_IF=$LAB_LINK_IF2
# the stand-in tunnel: a veth pair named tunl1 on both ends, no addresses
ip -n "$GW" link add tunl1 type veth peer name tunl1 netns "$MOB" &&
	ip -n "$GW" link set tunl1 up && ip -n "$MOB" link set tunl1 up || { echo "Bail out! tunl1"; exit 1; }
ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1
ip -n "$MAIL" route add default via 198.51.100.3
ip -n "$GW" route add default via 198.51.100.3
ip -n "$MOB" route add default via 203.0.113.193

lab_tunnel_conf "$LAB_TMP/gw.conf" gateway lan_dev=eth0
sed 's/^lan_dev = .*/lan_dev = nosuch0/' "$LAB_TMP/gw.conf" >"$LAB_TMP/gw-bad.conf"
lab_tunnel_conf "$LAB_TMP/mob.conf" mobile table=201 priority=2000 ports=tcp/25 fwmark=7
rt_gw() { ip netns exec "$GW" env ROAM_RUNDIR="$LAB_TMP/run-gw" "$RT" -c "${GW_CONF:-$LAB_TMP/gw.conf}" "$@"; }
rt_mob() { ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run-mob" "$RT" -c "$LAB_TMP/mob.conf" "$@"; }
dump() {
	ip -n "$1" -d link show
	ip -n "$1" -d -4 addr show
	ip -n "$1" -d -4 route show table all
	ip -n "$1" -d -4 rule show
	ip -n "$1" -d -4 neigh show
	ip -n "$1" -4 neigh show proxy
	ip netns exec "$1" cat /proc/sys/net/ipv4/ip_forward
}
MON_PIDS=()
monitor_start() {
	ip -n "$1" monitor all >"$2" 2>&1 &
	MON_PIDS+=($!)
	sleep 0.2	# let it subscribe (set-up only; no result depends on time)
}
monitor_stop() { sleep 0.2; kill "${MON_PIDS[@]}"; wait "${MON_PIDS[@]}" 2>/dev/null; MON_PIDS=(); }

# the kernel says why: a route through a link that is down fails with its extended ack,
# and the pinned route and the addresses made before it are rolled back
ip -n "$MOB" link set tunl1 down
out=$(rt_mob up 2>&1)
is "$?" 4 "mobile with tunl1 down: up exits 4"
like "$out" "add route default via 192.0.2.10 dev tunl1 .*table 201: .*\(kernel: [A-Z]" \
	"the error names the route and quotes the kernel's extended ack"
is "$(ip -n "$MOB" -4 addr show dev tunl1; ip -n "$MOB" route show 198.51.100.238)" "" \
	"  the addresses and the pinned route made before are rolled back"
ip -n "$MOB" link set tunl1 up

# carrier reaches the other end of a veth a moment later: dump once it has
for _ in $(seq 200); do
	ip -n "$MOB" -o link show tunl1 | grep -q 'state UP' &&
		ip -n "$GW" -o link show tunl1 | grep -q 'state UP' && break
	sleep 0.05
done
dump "$GW" >"$LAB_TMP/gw.before"
dump "$MOB" >"$LAB_TMP/mob.before"

# an error midway rolls back: ip_forward, address and route are made, the proxy entry fails
out=$(GW_CONF=$LAB_TMP/gw-bad.conf rt_gw -v up 2>&1)
is "$?" 4 "gateway with a missing lan_dev: exit 4"
like "$out" "neigh proxy $EXPORTED dev nosuch0: no such device nosuch0" "the error names the object"
like "$out" "rollback: sysctl -w net.ipv4.ip_forward=0" "ip_forward is rolled back"
dump "$GW" >"$LAB_TMP/gw.after-rollback"
ok "after the rollback the gateway is as before (full ip -d dumps equal)" \
	diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after-rollback"

ok "gateway up" rt_gw up
ok "mobile up" rt_mob up
like "$(ip -n "$MOB" route show 198.51.100.238)" "via 203.0.113.193 dev $MOB_IF" \
	"mobile: the gateway's address pinned via the router"
like "$(ip -n "$MOB" route show table 201)" "default via 192.0.2.10 dev tunl1 proto static src $EXPORTED" \
	"mobile: default route in table 201 through the tunnel, source exported"
like "$(ip -n "$MOB" rule show priority 2001)" "ipproto tcp dport 25 lookup 201" "mobile: rule ipproto tcp dport 25"
like "$(ip -n "$MOB" rule show priority 2002)" "fwmark 0x7 lookup 201" "mobile: fwmark rule"
like "$(ip -n "$GW" neigh show proxy)" "$EXPORTED dev eth0" "gateway: proxy neighbour"
is "$(ip netns exec "$GW" cat /proc/sys/net/ipv4/ip_forward)" 1 "gateway: ip_forward on"
out=$(rt_mob status); is "$?" 0 "mobile: status 0"
is "$(grep -c '^present' <<<"$out")" "$(grep -c . <<<"$out")" "  every line says present"

monitor_start "$GW" "$LAB_TMP/gw.mon"
monitor_start "$MOB" "$LAB_TMP/mob.mon"
out=$(rt_gw -vv up 2>&1; rt_mob -vv up 2>&1)
monitor_stop
is "$(cat "$LAB_TMP/gw.mon" "$LAB_TMP/mob.mon")" "" "up again: not one netlink event in either namespace"
is "$(grep -c ' 0 netlink changes' <<<"$out")" 2 "  both count 0 changes"

ok "mail host pings the exported address" ip netns exec "$MAIL" ping -c 2 -i 0.2 -w 10 -q "$EXPORTED"
gw_mac=$(ip -n "$GW" -j link show eth0 | jq -r '.[0].address')
like "$(ip -n "$MAIL" neigh show "$EXPORTED")" "lladdr $gw_mac" "  answered by the gateway's proxy ARP"
ok "mobile reaches the mail host from the exported address (rule, table 201)" \
	ip netns exec "$MOB" ping -c 2 -i 0.2 -w 10 -q -I "$EXPORTED" 198.51.100.152
listen() {
	ip netns exec "$MAIL" nc -lvn 198.51.100.152 "$1" >/dev/null 2>"$2" &
	for _ in $(seq 100); do
		ip netns exec "$MAIL" ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
}
listen 25 "$LAB_TMP/nc25"; listen 2525 "$LAB_TMP/nc2525"
echo smtp | ip netns exec "$MOB" nc -N -w 5 198.51.100.152 25
echo other | ip netns exec "$MOB" nc -N -w 5 198.51.100.152 2525
wait_file() { for _ in $(seq 100); do grep -q "Connection received" "$1" && return; sleep 0.05; done; }
wait_file "$LAB_TMP/nc25"; wait_file "$LAB_TMP/nc2525"
like "$(cat "$LAB_TMP/nc25")" "Connection received on $EXPORTED " "SMTP leaves through the tunnel as $EXPORTED"
like "$(cat "$LAB_TMP/nc2525")" "Connection received on 203.0.113.230 " "port 2525 leaves by the uplink"

# something the user had before up stays after down
ip -n "$GW" neigh add proxy 198.51.100.181 dev eth0
ip -n "$MOB" route del 198.51.100.238
ip -n "$MOB" route add 198.51.100.238 via 203.0.113.193 dev "$MOB_IF" proto static
out=$(rt_mob status); is "$?" 0 "the same pinned route made by hand counts as present"

ok "gateway down" rt_gw down
ok "mobile down" rt_mob down
is "$(ip -n "$GW" neigh show proxy)" "198.51.100.181 dev eth0 proxy " "the user's own proxy entry stays"
ip -n "$GW" neigh del proxy 198.51.100.181 dev eth0
# the ARP caches learnt from the traffic (tests/vm/tunnel.t compares them too, in a
# cycle without traffic); everything else must be as before
for side in gw mob; do
	ns=$GW; [ $side = mob ] && ns=$MOB
	dump "$ns" | grep -v ' lladdr ' >"$LAB_TMP/$side.after"
	grep -v ' lladdr ' "$LAB_TMP/$side.before" >"$LAB_TMP/$side.before-noarp"
	ok "$side: down leaves no trace (full dumps equal but for learnt ARP entries)" \
		diff -u "$LAB_TMP/$side.before-noarp" "$LAB_TMP/$side.after"
done
rt_gw status >/dev/null; is "$?" 2 "gateway: status 2 after down"
done_testing
