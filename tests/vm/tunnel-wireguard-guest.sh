#!/usr/bin/env bash
# tests/vm/tunnel-wireguard-guest.sh — runs inside the VM (tests/vm/tunnel-wireguard.t
# boots it once): the mobile sits behind a hotel NAT that forwards only TCP, UDP and
# ICMP (masquerade, random ports). ipip cannot cross it; encap = wireguard can, and
# follows the mobile to a second hotel. TAP on stdout.
#
#   mail .152 ─┐                      ┌ 203.0.113.193/26 ─ .230 hotel1 (NAT) .65/27 ─ .70 mobile
#   gw   .238 ─┤ br0 198.51.100.0/24 ─┤ rt (.3)
#              │ (in ns "sw")         └ 203.0.113.1/26   ─ .10  hotel2 (NAT) .97/27 ─ .100 mobile
#   wg1: gw 192.0.2.10 ⇄ mobile 192.0.2.20, exported 198.51.100.180 on the mobile
set -u
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd	# no udev in the VM; lib.sh needs /dev/fd
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
RT=$ROAM_BUILD/roam-tunnel
EXPORTED=198.51.100.180
KEEPALIVE=25	# the mobile's, the default: roam must not wait for it

modprobe ipip || { echo "1..0 # SKIP no ipip module in this kernel"; exit 0; }
modinfo wireguard >/dev/null 2>&1 || { echo "1..0 # SKIP no wireguard module in this kernel"; exit 0; }

# ---- topology ----------------------------------------------------------------
. "$ROAM_TOP/tests/vm/home-lan.sh"
H1=$(quiet_ns hotel1) H2=$(quiet_ns hotel2)
lab_link "$ROUTER" 203.0.113.193/26 "$H1" 203.0.113.230/26 || { echo "Bail out! hotel1 wan"; exit 1; }
H1_WAN=$LAB_LINK_IF2
lab_link "$ROUTER" 203.0.113.1/26 "$H2" 203.0.113.10/26 || { echo "Bail out! hotel2 wan"; exit 1; }
H2_WAN=$LAB_LINK_IF2
lab_link "$H1" 203.0.113.65/27 "$MOB" 203.0.113.70/27 || { echo "Bail out! hotel1 lan"; exit 1; }
H1_LAN=$LAB_LINK_IF1
lab_link "$H2" 203.0.113.97/27 "$MOB" 203.0.113.100/27 || { echo "Bail out! hotel2 lan"; exit 1; }
MOB_IF2=$LAB_LINK_IF2
# the second hotel is where the laptop goes later: not plugged in yet
ip -n "$MOB" addr flush dev "$MOB_IF2" && ip -n "$MOB" link set "$MOB_IF2" down
for ns in "$H1" "$H2"; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1; done
ip -n "$H1" route add default via 203.0.113.193
ip -n "$H2" route add default via 203.0.113.1
ip -n "$MOB" route add default via 203.0.113.65

hotel_nat() {	# hotel_nat NS WAN: what guest networks do — NAT, and only tcp/udp/icmp pass
	ip netns exec "$1" nft -f - <<-EOF
	table ip hotel {
		chain forward {
			type filter hook forward priority 0; policy drop;
			meta l4proto 4 counter drop comment "protocol 4"	# not "ipip": /etc/protocols says 94
			meta l4proto { tcp, udp, icmp } accept
		}
		chain postrouting {
			type nat hook postrouting priority 100;
			oifname "$2" masquerade random
		}
	}
	EOF
}
hotel_nat "$H1" "$H1_WAN" && hotel_nat "$H2" "$H2_WAN" || { echo "Bail out! nft"; exit 1; }
ipip_drops() { ip netns exec "$1" nft -j list chain ip hotel forward |
	jq '[.nftables[].rule? | select(.comment == "protocol 4") | .expr[] | .counter? | select(.) | .packets] | add'; }

# ---- configs and helpers ------------------------------------------------------
(umask 077 && wg genkey >"$LAB_TMP/gw.key" && wg genkey >"$LAB_TMP/mob.key")
GW_PUB=$(wg pubkey <"$LAB_TMP/gw.key") MOB_PUB=$(wg pubkey <"$LAB_TMP/mob.key")
wg_conf() {	# wg_conf FILE ROLE [KEY=VALUE…]: encap = wireguard on the seed's addresses
	local file=$1 role=$2
	shift 2
	{
		printf '[tunnel]\nrole = %s\nencap = wireguard\nname = wg1\nexported = %s\n' "$role" "$EXPORTED"
		if [ "$role" = gateway ]; then
			printf 'inner_local = 192.0.2.10\ninner_remote = 192.0.2.20\nlan_dev = eth0\n'
			printf 'private_key = %s\npeer_public_key = %s\n' "$LAB_TMP/gw.key" "$MOB_PUB"
		else
			printf 'remote = 198.51.100.238\ninner_local = 192.0.2.20\ninner_remote = 192.0.2.10\n'
			printf 'private_key = %s\npeer_public_key = %s\n' "$LAB_TMP/mob.key" "$GW_PUB"
			printf 'keepalive = %s\n' "$KEEPALIVE"
		fi
		for kv in "$@"; do printf '%s = %s\n' "${kv%%=*}" "${kv#*=}"; done
	} >"$file"
	chmod 600 "$file"
}
wg_conf "$LAB_TMP/gw.conf" gateway
wg_conf "$LAB_TMP/mob.conf" mobile
lab_tunnel_conf "$LAB_TMP/gw-ipip.conf" gateway lan_dev=eth0
lab_tunnel_conf "$LAB_TMP/mob-ipip.conf" mobile local=auto

rt_gw() { ip netns exec "$GW" env ROAM_RUNDIR="$LAB_TMP/run-gw" "$RT" -c "${GW_CONF:-$LAB_TMP/gw.conf}" "$@"; }
rt_mob() { ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run-mob" "$RT" -c "${MOB_CONF:-$LAB_TMP/mob.conf}" "$@"; }

dump() {	# everything roam-tunnel could touch in a namespace, in full, wireguard too
	ip -n "$1" -d link show
	ip -n "$1" -d -4 addr show
	ip -n "$1" -d -4 route show table all
	ip -n "$1" -d -4 rule show
	ip -n "$1" -d -4 neigh show nud permanent	# the ARP cache is traffic's, not ours
	ip -n "$1" -4 neigh show proxy
	ip netns exec "$1" cat /proc/sys/net/ipv4/ip_forward
	ip netns exec "$1" wg show all dump
}
listen() {	# listen NS ADDR PORT FILE: one TCP connection, nc's report (the peer) to FILE
	ip netns exec "$1" nc -lvn "$2" "$3" >/dev/null 2>"$4" &
	for _ in $(seq 100); do
		ip netns exec "$1" ss -Hltn "sport = :$3" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
wait_file() { for _ in $(seq 100); do grep -q "Connection received" "$1" && return; sleep 0.05; done; }
tcp_both_ways() {	# TAG: mobile (from exported) → mail and mail → exported, over TCP
	listen "$MAIL" 198.51.100.152 2525 "$LAB_TMP/nc-mail-$1" &&
		echo hello | ip netns exec "$MOB" nc -N -w 5 -s "$EXPORTED" 198.51.100.152 2525
	wait_file "$LAB_TMP/nc-mail-$1"
	like "$(cat "$LAB_TMP/nc-mail-$1")" "Connection received on $EXPORTED " \
		"$1: TCP from the exported address reaches the mail host"
	listen "$MOB" "$EXPORTED" 2526 "$LAB_TMP/nc-mob-$1" &&
		echo hello | ip netns exec "$MAIL" nc -N -w 5 "$EXPORTED" 2526
	wait_file "$LAB_TMP/nc-mob-$1"
	like "$(cat "$LAB_TMP/nc-mob-$1")" "Connection received on 198.51.100.152 " \
		"$1: TCP from the mail host reaches the exported address"
}

dump "$GW" >"$LAB_TMP/gw.before"
dump "$MOB" >"$LAB_TMP/mob.before"

# ---- A: the lab is real: ipip does not cross the hotel NAT -----------------------
GW_CONF=$LAB_TMP/gw-ipip.conf MOB_CONF=$LAB_TMP/mob-ipip.conf
ok "ipip: gateway up (remote = the hotel's public address)" rt_gw up
ok "ipip: mobile up behind the hotel NAT" rt_mob up
ip netns exec "$MAIL" ping -c 2 -W 1 -q "$EXPORTED" >/dev/null 2>&1
is "$?" 1 "ipip: the mail host cannot reach the exported address through the hotel"
ip netns exec "$MOB" ping -c 2 -W 1 -q -I "$EXPORTED" 198.51.100.152 >/dev/null 2>&1
is "$?" 1 "ipip: nor can the mobile reach the mail host from it"
drops=$(ipip_drops "$H1")
ok "ipip: the hotel dropped the protocol 4 packets ($drops)" test "${drops:-0}" -ge 2
ok "ipip: mobile down" rt_mob down
ok "ipip: gateway down" rt_gw down
unset GW_CONF MOB_CONF

# ---- B: a missing module: one line naming the cause, nothing left ----------------
modprobe_was=$(cat /proc/sys/kernel/modprobe)
echo /bin/false >/proc/sys/kernel/modprobe	# the kernel cannot load wireguard by itself now
out=$(rt_gw up 2>&1)
is "$?" 4 "no wireguard module: up exits 4"
like "$out" "no wireguard support in this kernel\\? modprobe wireguard" "  the error says what is missing"
dump "$GW" >"$LAB_TMP/gw.after-nomod"
ok "  and nothing is left behind (full dumps equal)" diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after-nomod"
echo "$modprobe_was" >/proc/sys/kernel/modprobe
modprobe wireguard || { echo "Bail out! modprobe wireguard"; exit 1; }

# ---- C: wireguard through the hotel NAT -------------------------------------------
ok "wireguard: gateway up" rt_gw up
ok "wireguard: mobile up behind the hotel NAT" rt_mob up
like "$(ip -n "$GW" -d link show wg1)" "mtu 1420 .*wireguard" "gateway: wg1 is a wireguard link, mtu 1420"
like "$(ip netns exec "$GW" wg show wg1 allowed-ips)" "192.0.2.20/32 198.51.100.180/32" \
	"gateway: the peer may send from inner_remote and exported"
like "$(ip netns exec "$MOB" wg show wg1 allowed-ips)" "0.0.0.0/0" "mobile: the peer allows 0.0.0.0/0"
is "$(ip netns exec "$MOB" wg show wg1 persistent-keepalive | cut -f2)" "$KEEPALIVE" "mobile: keepalive set"
is "$(ip netns exec "$GW" wg show wg1 listen-port)" 51820 "gateway: listen port 51820"
ok "mail host pings the exported address (ICMP through the NAT)" \
	ip netns exec "$MAIL" ping -c 3 -i 0.2 -w 15 -q "$EXPORTED"
ok "mobile pings the mail host from the exported address" \
	ip netns exec "$MOB" ping -c 3 -i 0.2 -w 15 -q -I "$EXPORTED" 198.51.100.152
tcp_both_ways "hotel1"
out=$(rt_gw status); rc=$?
is "$rc" 0 "gateway: status 0"
like "$out" "endpoint 203\\.0\\.113\\.230:[0-9]+" "  status shows the endpoint: the hotel's public address"
like "$out" "latest handshake [0-9]+ s ago" "  and the latest handshake"
ok "  and the public key the kernel derived from the private key" grep -qF "public key $GW_PUB" <<<"$out"
out=$(SSH_CONNECTION="203.0.113.99 4000 198.51.100.238 22" rt_gw register 2>&1); rc=$?
is "$rc" 0 "register on a wireguard gateway: exit 0"
like "$out" "wg1: wireguard needs no registration" "  and it says so"

like "$(rt_gw -vv up 2>&1)" "0 netlink changes" "a second up changes nothing on the gateway"
like "$(rt_mob -vv up 2>&1)" "0 netlink changes" "a second up changes nothing on the mobile"

# ---- D: the laptop moves to another hotel: new NAT, new address --------------------
# hotel1's network is gone (the mobile's link stays up, without carrier, and so does
# the route pinned through it, as on a laptop between two Wi-Fi networks); hotel2's
# comes up on the second link with the new default route
ip -n "$H1" link set "$H1_LAN" down
ip -n "$MOB" addr add 203.0.113.100/27 dev "$MOB_IF2"
ip -n "$MOB" link set "$MOB_IF2" up
ip -n "$MOB" route del default
ip -n "$MOB" route add default via 203.0.113.97
ip netns exec "$MAIL" ping -c 1 -W 2 -q "$EXPORTED" >/dev/null 2>&1
is "$?" 1 "after the move the mail host cannot reach the exported address"
sleep 3	# waiting alone does not bring it back
ip netns exec "$MAIL" ping -c 1 -W 1 -q "$EXPORTED" >/dev/null 2>&1
is "$?" 1 "  nor 4 s later: the route to the gateway still leads into hotel1"
out=$(rt_mob -n roam 2>&1)
want="wg set wg1 peer $GW_PUB persistent-keepalive 0
wg set wg1 peer $GW_PUB persistent-keepalive $KEEPALIVE"	# a key has + and /: no regex
[[ $out == *"$want"* ]]
is "$?" 0 "mobile: roam -n shows the keepalive that tells the gateway at once"
# what the mobile's wg1 has sent (bytes): roam's keepalive is sent by the kernel
# at once, inside roam; wireguard's own timers (a keepalive every 25 s, handshake
# retries every 5 s) would send one within the few ms of one roam only by chance
wg_tx() { ip netns exec "$MOB" wg show wg1 transfer | cut -f3; }
tx0=$(wg_tx)
out=$(rt_mob -v roam 2>&1); rc=$?
tx1=$(wg_tx)
is "$rc" 0 "mobile: roam-tunnel roam exits 0"
ok "  roam itself made the mobile send (tx $tx0 -> $tx1 bytes): the peer hears of the move at once" \
	test "$tx1" -gt "$tx0"
for _ in $(seq 40); do	# the gateway learns the endpoint from that packet
	rt_gw status | grep -q "endpoint 203\.0\.113\.10:" && break
	sleep 0.05
done
like "$(rt_gw status)" "endpoint 203\.0\.113\.10:[0-9]+" "  the gateway's endpoint follows the mobile to hotel2"
like "$(ip -n "$MOB" route show 198.51.100.238)" "via 203.0.113.97 dev $MOB_IF2" \
	"  the route to the gateway is re-pinned via the new router"
usec() { echo "${EPOCHREALTIME/./}"; }
start=$(usec) reached=
for _ in $(seq $((KEEPALIVE * 4 + 4))); do	# one ping every 0.5 s or so
	if ip netns exec "$MAIL" ping -c 1 -W 0.5 -q "$EXPORTED" >/dev/null 2>&1; then reached=1; break; fi
done
took_ms=$((($(usec) - start) / 1000))
ok "the mail host reaches the exported address again, $took_ms ms after roam (keepalive $KEEPALIVE s)" \
	test -n "$reached"
ok "  within one keepalive" test "$took_ms" -le $((KEEPALIVE * 1000 + 1000))
# the hotel's NAT forgets every mapping (its uplink went down: masquerade drops
# the connections of a device that goes down), the laptop keeps its address;
# roam then has nothing to change, and its keepalive makes the new mapping
gw_endpoint() { ip netns exec "$GW" wg show wg1 endpoints | cut -f2; }
before=$(gw_endpoint)
ip -n "$H2" link set "$H2_WAN" down && ip -n "$H2" link set "$H2_WAN" up &&
	ip -n "$H2" route replace default via 203.0.113.1
out=$(rt_mob -vv roam 2>&1)
like "$out" "nothing to change" "after a NAT reset, roam has nothing to change"
like "$out" " 2 netlink changes" "  but turns the keepalive off and on (2 writes)"
for _ in $(seq 40); do [ "$(gw_endpoint)" != "$before" ] && break; sleep 0.05; done
after=$(gw_endpoint)
ok "  the gateway learns the NAT's new mapping at once ($before -> $after)" test "$after" != "$before"
ok "  and the mail host reaches the exported address through it" \
	ip netns exec "$MAIL" ping -c 1 -W 2 -q "$EXPORTED"
tcp_both_ways "hotel2"
like "$(rt_gw -vv up 2>&1)" "0 netlink changes" "after roam, up changes nothing on the gateway"
like "$(rt_mob -vv up 2>&1)" "0 netlink changes" "after roam, up changes nothing on the mobile"

# ---- E: down leaves no trace -------------------------------------------------------
ok "mobile down" rt_mob down
ok "gateway down" rt_gw down
# the mobile is in hotel2 now: compare with it back in hotel1
ip -n "$MOB" route del default via 203.0.113.97
ip -n "$MOB" addr flush dev "$MOB_IF2" && ip -n "$MOB" link set "$MOB_IF2" down
ip -n "$H1" link set "$H1_LAN" up && ip -n "$MOB" route add default via 203.0.113.65
dump "$GW" >"$LAB_TMP/gw.after"
dump "$MOB" >"$LAB_TMP/mob.after"
ok "gateway: down leaves no trace (ip -d and wg show dumps equal)" diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after"
ok "mobile: down leaves no trace (ip -d and wg show dumps equal)" diff -u "$LAB_TMP/mob.before" "$LAB_TMP/mob.after"

# ---- F: failures roll back ---------------------------------------------------------
# the peer's key is the gateway's own: the kernel ignores such a peer silently, and
# the check after applying sees a link without its peer
wg_conf "$LAB_TMP/gw-selfpeer.conf" gateway
sed -i "s|^peer_public_key = .*|peer_public_key = $GW_PUB|" "$LAB_TMP/gw-selfpeer.conf"
out=$(GW_CONF=$LAB_TMP/gw-selfpeer.conf rt_gw -v up 2>&1)
is "$?" 4 "peer key = own key: up exits 4"
like "$out" "verify: link wg1 .* is different after applying" "  the check after applying catches it"
like "$out" "rollback: ip link del wg1" "  the link is rolled back"
# the listen port is taken: the kernel refuses the key and port, after the link exists
ip netns exec "$GW" nc -u -l 198.51.100.238 51820 </dev/null >/dev/null 2>&1 &
NC_PID=$!
for _ in $(seq 100); do ip netns exec "$GW" ss -Hlun "sport = :51820" | grep -q . && break; sleep 0.05; done
out=$(rt_gw -v up 2>&1)
is "$?" 4 "listen port in use: up exits 4"
like "$out" "add link wg1 .* listen-port 51820 .*: Object exists" "  the error names the link, its port and the kernel's reason"
like "$out" "rollback: sysctl -w net.ipv4.ip_forward=0" "  and ip_forward is rolled back"
kill "$NC_PID"; wait "$NC_PID" 2>/dev/null
dump "$GW" >"$LAB_TMP/gw.after-rollback"
ok "after both rollbacks the gateway is as before (full dumps equal)" \
	diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after-rollback"

# ---- G: the home moves: remote = NAME, and roam follows the name -------------------
# the name goes through glibc's resolver over a private /etc/hosts (mount namespace)
wg_conf "$LAB_TMP/mob-name.conf" mobile
sed -i 's/^remote = .*/remote = gw.home.example/' "$LAB_TMP/mob-name.conf"
printf 'hosts: files\n' >"$LAB_TMP/nsswitch.conf"
home_is() { echo "$1 gw.home.example" >"$LAB_TMP/hosts"; }	# in place: the bind mount stays
rt_mob_named() {
	unshare -m sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf &&
		shift 2 && exec "$@"' sh "$LAB_TMP/hosts" "$LAB_TMP/nsswitch.conf" \
		ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run-mob" "$RT" -c "$LAB_TMP/mob-name.conf" "$@"
}
ip -n "$GW" addr add 198.51.100.239/24 dev eth0	# the home's next address
home_is 198.51.100.238
ok "name: gateway up" rt_gw up
ok "name: mobile up with remote = gw.home.example" rt_mob_named up
like "$(ip netns exec "$MOB" wg show wg1 endpoints)" "198\.51\.100\.238:51820" "  the endpoint is the name's address"
ok "  the mail host reaches the exported address" ip netns exec "$MAIL" ping -c 2 -i 0.2 -w 10 -q "$EXPORTED"
home_is 198.51.100.239
ok "name: roam after the name moved" rt_mob_named roam
like "$(ip netns exec "$MOB" wg show wg1 endpoints)" "198\.51\.100\.239:51820" "  the endpoint follows the name"
is "$(ip -n "$MOB" route show 198.51.100.238)" "" "  the old pin is gone"
like "$(ip -n "$MOB" route show 198.51.100.239)" "via 203\.0\.113\.65" "  the new address is pinned"
ok "  the mail host reaches the exported address" ip netns exec "$MAIL" ping -c 2 -i 0.2 -w 10 -q "$EXPORTED"
ok "name: mobile down" rt_mob_named down
ok "name: gateway down" rt_gw down
ip -n "$GW" addr del 198.51.100.239/24 dev eth0
dump "$GW" >"$LAB_TMP/gw.after-name"
dump "$MOB" >"$LAB_TMP/mob.after-name"
ok "name: down leaves no trace on either side" \
	diff -u <(cat "$LAB_TMP/gw.before" "$LAB_TMP/mob.before") <(cat "$LAB_TMP/gw.after-name" "$LAB_TMP/mob.after-name")
done_testing
