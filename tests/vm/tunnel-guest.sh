#!/usr/bin/env bash
# tests/vm/tunnel-guest.sh — runs inside the VM (tests/vm/tunnel.t boots it once):
# the seed's topology in namespaces on a kernel with ipip, roam-tunnel on both
# ends, every case of issue 7 in one boot. TAP on stdout.
#
#   mail .152 ─┐                       ┌─ guest0 203.0.113.193/26 ── mobile .230
#   gw   .238 ─┤ br0 198.51.100.0/24 ──┤ rt (.3)
#              │ (in ns "sw")          └─ guest1 203.0.113.1/26  ── mobile .10 (after the move)
#                                      └─ ppp9 203.0.113.65 ⇄ ppp0 .100 mobile (dial-up, E)
#   tunl1: gw 192.0.2.10 ⇄ mobile 192.0.2.20, exported 198.51.100.180 on the mobile
set -u
# the VM's /dev has no /dev/fd (no udev); bash's <(…) and lib.sh's cleanup need it
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
. "$ROAM_TOP/tests/lab/lib.sh"
if [ -n "${ROAM_VM_TRACE:-}" ]; then	# a timed trace of every command, for slow runs
	exec 19>"$ROAM_VM_TRACE" && BASH_XTRACEFD=19 PS4='+ $EPOCHREALTIME ' && set -x
fi
lab_require_root
lab_init
RT=$ROAM_BUILD/roam-tunnel
EXPORTED=198.51.100.180

modprobe ipip || { echo "1..0 # SKIP no ipip module in this kernel"; exit 0; }

# ---- topology ----------------------------------------------------------------
. "$ROAM_TOP/tests/vm/home-lan.sh"
lab_link "$ROUTER" 203.0.113.193/26 "$MOB" 203.0.113.230/26 || { echo "Bail out! guest0"; exit 1; }
MOB_IF0=$LAB_LINK_IF2
lab_link "$ROUTER" 203.0.113.1/26 "$MOB" 203.0.113.10/26 || { echo "Bail out! guest1"; exit 1; }
MOB_IF1=$LAB_LINK_IF2
# the second guest network is where the laptop goes later: not plugged in yet
ip -n "$MOB" addr flush dev "$MOB_IF1" && ip -n "$MOB" link set "$MOB_IF1" down
ip -n "$MOB" route add default via 203.0.113.193

# ---- configs and helpers ------------------------------------------------------
lab_tunnel_conf "$LAB_TMP/gw.conf" gateway lan_dev=eth0 allow_from=203.0.113.0/24
sed 's/^lan_dev = .*/lan_dev = nosuch0/' "$LAB_TMP/gw.conf" >"$LAB_TMP/gw-bad.conf"
lab_tunnel_conf "$LAB_TMP/mob.conf" mobile local=auto register=root@198.51.100.238
{ cat "$LAB_TMP/mob.conf"; echo "ports = tcp/25"; } >"$LAB_TMP/mob-smtp.conf"

rt_gw() { ip netns exec "$GW" "$RT" --rundir "$LAB_TMP/run-gw" -c "$LAB_TMP/gw.conf" "$@"; }
rt_mob() { ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run-mob" ROAM_TUNNEL_SSH="$LAB_TMP/ssh" \
	"$RT" -c "${MOB_CONF:-$LAB_TMP/mob.conf}" "$@"; }

dump() {	# everything roam-tunnel could touch in a namespace, in full
	ip -n "$1" -d link show
	ip -n "$1" -d -4 addr show
	ip -n "$1" -d -4 route show table all
	ip -n "$1" -d -4 rule show
	ip -n "$1" -d -4 neigh show
	ip -n "$1" -4 neigh show proxy
	ip netns exec "$1" cat /proc/sys/net/ipv4/ip_forward
}

monitor_start() {	# netlink events of a namespace into a file
	ip -n "$1" monitor all >"$2" 2>&1 &
	MON_PID=$!
	sleep 0.3	# let it subscribe (set-up only; no result depends on time)
}
monitor_stop() { sleep 0.3; kill "$MON_PID"; wait "$MON_PID" 2>/dev/null; }

ifindex() { ip -n "$1" -o link show "$2" | cut -d: -f1; }
rx_packets() { ip -n "$1" -s -j link show "$2" | jq '.[0].stats64.rx.packets'; }

# ---- A: a clean cycle: up, up again, status, down, no trace --------------------
dump "$GW" >"$LAB_TMP/gw.before"
dump "$MOB" >"$LAB_TMP/mob.before"

monitor_start "$GW" "$LAB_TMP/gw.mon1"
ok "gateway: roam-tunnel up" rt_gw up
monitor_stop
monitor_start "$MOB" "$LAB_TMP/mob.mon1"
ok "mobile: roam-tunnel up" rt_mob up
monitor_stop
like "$(ip -n "$GW" -d link show tunl1)" "ipip (any|ipip) remote 203.0.113.230 local 198.51.100.238" \
	"gateway: tunl1 is an ipip link to the mobile"
like "$(ip -n "$MOB" -d link show tunl1)" "ipip (any|ipip) remote 198.51.100.238 local 203.0.113.230" \
	"mobile: local = auto found its uplink address"
like "$(ip -n "$MOB" route show 198.51.100.238)" "198.51.100.238 via 203.0.113.193 dev $MOB_IF0" \
	"mobile: the route to the gateway is pinned via today's router"
like "$(ip -n "$MOB" rule show priority 1000)" "from $EXPORTED lookup 200" "mobile: rule from exported"
is "$(ip netns exec "$GW" cat /proc/sys/net/ipv4/ip_forward)" 1 "gateway: ip_forward on"
like "$(ip -n "$GW" neigh show proxy)" "$EXPORTED dev eth0" "gateway: proxy neighbour on lan_dev"

ok "gateway: status 0 (all present)" rt_gw status
ok "mobile: status 0 (all present)" rt_mob status

monitor_start "$GW" "$LAB_TMP/gw.mon2"
out_gw=$(rt_gw -vv up 2>&1)
monitor_stop
monitor_start "$MOB" "$LAB_TMP/mob.mon2"
out_mob=$(rt_mob -vv up 2>&1)
monitor_stop
ok "netlink monitor saw the first up (gateway $(wc -l <"$LAB_TMP/gw.mon1"), mobile $(wc -l <"$LAB_TMP/mob.mon1") events)" \
	test -s "$LAB_TMP/gw.mon1" -a -s "$LAB_TMP/mob.mon1"
is "$(cat "$LAB_TMP/gw.mon2" "$LAB_TMP/mob.mon2")" "" "a second up: no netlink event on either side"
like "$out_gw" "0 netlink changes" "a second up on the gateway counts 0 changes"
like "$out_mob" "0 netlink changes" "a second up on the mobile counts 0 changes"

ok "gateway: down" rt_gw down
ok "mobile: down" rt_mob down
dump "$GW" >"$LAB_TMP/gw.after"
dump "$MOB" >"$LAB_TMP/mob.after"
ok "gateway: down leaves no trace (full ip -d dumps equal)" diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after"
ok "mobile: down leaves no trace (full ip -d dumps equal)" diff -u "$LAB_TMP/mob.before" "$LAB_TMP/mob.after"
rt_gw status >/dev/null; is "$?" 2 "gateway: status 2 after down"

# ---- B: an error midway rolls back ------------------------------------------------
out=$(ip netns exec "$GW" env ROAM_RUNDIR="$LAB_TMP/run-gw" "$RT" -c "$LAB_TMP/gw-bad.conf" -v up 2>&1)
is "$?" 4 "gateway with a missing lan_dev: up exits 4"
like "$out" "nosuch0" "the error names the device"
like "$out" "rollback: ip link del tunl1" "the link it had made is rolled back"
dump "$GW" >"$LAB_TMP/gw.after-rollback"
ok "after the rollback the gateway is as before (full dumps equal)" \
	diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after-rollback"

# the same tunnel under another name: the kernel refuses a second ipip link with
# the same endpoints ("address in use"), and ip_forward goes back
ip -n "$GW" link add tunl9 type ipip local 198.51.100.238 remote 203.0.113.230
out=$(rt_gw -v up 2>&1)
is "$?" 4 "an ipip link with the same endpoints exists: up exits 4"
like "$out" "add link tunl1 .*: Object exists" "  the error names the link and the kernel's reason"
like "$out" "rollback: sysctl -w net.ipv4.ip_forward=0" "  ip_forward is rolled back"
ip -n "$GW" link del tunl9
dump "$GW" >"$LAB_TMP/gw.after-exists"
ok "  and the gateway is as before (full dumps equal)" diff -u "$LAB_TMP/gw.before" "$LAB_TMP/gw.after-exists"

# a tunl1 the user made before up is not ours: down leaves it, and takes off it
# one by one what up put there (the addresses and routes the kernel would
# otherwise flush with the link)
ip -n "$GW" link add tunl1 type ipip local 198.51.100.238 remote 203.0.113.230 ttl 64
ip -n "$GW" link set tunl1 up
dump "$GW" >"$LAB_TMP/gw.before-own"
ok "gateway up on the user's own tunl1" rt_gw up
like "$(ip -n "$GW" -4 addr show dev tunl1)" "192.0.2.10 peer 192.0.2.20" "  the inner address is on it"
out=$(rt_gw -v down 2>&1)
is "$?" 0 "  down exits 0"
like "$out" "ip addr del 192.0.2.10 peer 192.0.2.20 dev tunl1" "  down takes the address off the link"
is "$(grep -c "ip link del" <<<"$out")" 0 "  and leaves the link"
dump "$GW" >"$LAB_TMP/gw.after-own"
ok "  the user's tunl1 is as before (full dumps equal)" diff -u "$LAB_TMP/gw.before-own" "$LAB_TMP/gw.after-own"
ip -n "$GW" link del tunl1

# ---- C: traffic ----------------------------------------------------------------------
ok "gateway up again" rt_gw up
ok "mobile up again" rt_mob up
ok "mail host pings the exported address" ip netns exec "$MAIL" ping -c 3 -i 0.2 -w 15 -q "$EXPORTED"
gw_mac=$(ip -n "$GW" -j link show eth0 | jq -r '.[0].address')
like "$(ip -n "$MAIL" neigh show "$EXPORTED")" "lladdr $gw_mac" \
	"mail host reached it through the gateway's proxy ARP"
rx0=$(rx_packets "$GW" tunl1)
ok "mobile pings the mail host from the exported address" \
	ip netns exec "$MOB" ping -c 3 -i 0.2 -w 15 -q -I "$EXPORTED" 198.51.100.152
rx1=$(rx_packets "$GW" tunl1)
ok "…and those packets came through the tunnel (gateway tunl1 rx $rx0 → $rx1)" test $((rx1 - rx0)) -ge 3

# only SMTP through the tunnel: listeners on the mail host see the source
listen() {	# listen PORT FILE: one connection, the peer's address to FILE
	ip netns exec "$MAIL" nc -lvn 198.51.100.152 "$1" >/dev/null 2>"$2" &
	for _ in $(seq 100); do
		ip netns exec "$MAIL" ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}
MOB_CONF=$LAB_TMP/mob-smtp.conf
ok "mobile up with ports = tcp/25 (adds one rule)" rt_mob up
like "$(ip -n "$MOB" rule show priority 1001)" "ipproto tcp dport 25 lookup 200" \
	"rule ipproto tcp dport 25, no iptables"
listen 25 "$LAB_TMP/nc25" && listen 2525 "$LAB_TMP/nc2525"
echo smtp | ip netns exec "$MOB" nc -N -w 5 198.51.100.152 25
echo other | ip netns exec "$MOB" nc -N -w 5 198.51.100.152 2525
wait_file() { for _ in $(seq 100); do grep -q "Connection received" "$1" && return; sleep 0.05; done; }
wait_file "$LAB_TMP/nc25"; wait_file "$LAB_TMP/nc2525"
like "$(cat "$LAB_TMP/nc25")" "Connection received on $EXPORTED " \
	"SMTP (tcp/25) leaves through the tunnel with the exported address"
like "$(cat "$LAB_TMP/nc2525")" "Connection received on 203.0.113.230 " \
	"other TCP (2525) leaves directly with the outer address"
# from here on the mobile keeps the ports config: down must remove its rule too

# partial state is reported and repaired
ip -n "$MOB" rule del priority 1000
out=$(rt_mob status); is "$?" 1 "mobile: status 1 when a rule is missing"
like "$out" "missing +rule from $EXPORTED lookup 200 priority 1000" "status names the missing rule"
out=$(rt_mob -vv up 2>&1)
like "$out" "1 netlink change$" "up repairs only that (1 change)"

# ---- D: roaming ------------------------------------------------------------------------
ok "sshd in the gateway namespace" lab_sshd --ns "$GW" 198.51.100.238 22
# the forced command of contrib/authorized_keys.roam, with this test's paths (and -v:
# the guest has no syslog, so the gateway logs to stderr, which ssh passes back)
echo "restrict,command=\"$RT -v --rundir $LAB_TMP/run-gw -c $LAB_TMP/gw.conf register\" $(cat "$LAB_SSH_KEY.pub")" \
	>"$LAB_SSH_AUTHORIZED_KEYS"
printf '#!/bin/sh\nexec ssh %s "$@"\n' "$(printf '%q ' "${LAB_SSH_OPTS[@]}")" >"$LAB_TMP/ssh"
chmod 755 "$LAB_TMP/ssh"

out=$(rt_mob -v roam 2>&1); rc=$?
is "$rc" 0 "roam with nothing new: exit 0"
like "$out" "nothing to change" "…and it neither changes nor registers"

gw_idx=$(ifindex "$GW" tunl1) mob_idx=$(ifindex "$MOB" tunl1)
# the laptop moves: the old network goes away, the new one comes up
ip -n "$MOB" link set "$MOB_IF0" down
ip -n "$MOB" addr add 203.0.113.10/26 dev "$MOB_IF1"
ip -n "$MOB" link set "$MOB_IF1" up
ip -n "$MOB" route add default via 203.0.113.1
ip netns exec "$MAIL" ping -c 1 -W 2 -q "$EXPORTED" >/dev/null 2>&1
is "$?" 1 "after the move the mail host cannot reach the exported address"
rt_mob status >/dev/null; is "$?" 1 "mobile: status 1 (partly) after the move"

out=$(rt_mob -v roam 2>&1); rc=$?
is "$rc" 0 "mobile: roam-tunnel roam exits 0"
note "$out"
roam_out=$out
like "$out" "local 203.0.113.230 -> 203.0.113.10" "the mobile logs its new local address"
like "$out" "remote 203.0.113.230 -> 203.0.113.10 \\(registered over ssh\\)" \
	"the gateway logs the registered remote (through ssh)"
like "$(ip -n "$MOB" -d link show tunl1)" "remote 198.51.100.238 local 203.0.113.10" \
	"mobile: tunl1 has the new local"
like "$(ip -n "$GW" -d link show tunl1)" "remote 203.0.113.10 local 198.51.100.238" \
	"gateway: tunl1 has the new remote"
is "$(ifindex "$GW" tunl1) $(ifindex "$MOB" tunl1)" "$gw_idx $mob_idx" \
	"both links changed in place (same ifindex)"
like "$(ip -n "$MOB" route show 198.51.100.238)" "via 203.0.113.1 dev $MOB_IF1" \
	"the gateway route is re-pinned via the new router"
# the tunnel saw ICMP errors while the laptop was away and answers the next packet or
# two with an error of its own (ip_tunnel err_count); ping -w would stop at the first
ok "mail host reaches the exported address again" ip netns exec "$MAIL" ping -c 5 -i 0.3 -q "$EXPORTED"
ok "gateway status 0 after the registration (up keeps the registered remote)" rt_gw status
out=$(rt_gw -vv up 2>&1)
like "$out" "0 netlink changes" "gateway up after a registration changes nothing"

# registration checks on the gateway
SSH_CONNECTION="192.0.2.99 40000 198.51.100.238 22" rt_gw register >/dev/null 2>&1
is "$?" 5 "register from outside allow_from: exit 5"
SSH_CONNECTION="224.0.0.5 40000 198.51.100.238 22" rt_gw register >/dev/null 2>&1
is "$?" 5 "register from a multicast address: exit 5"
rt_gw register >/dev/null 2>&1
is "$?" 5 "register without SSH_CONNECTION: exit 5"
like "$(ip -n "$GW" -d link show tunl1)" "remote 203.0.113.10 " "refused registrations changed nothing"

# the gateway names the key that moved the tunnel (sshd's ExposeAuthInfo)
fp=$(ssh-keygen -lf "$LAB_SSH_KEY.pub" | awk '{ print $2 }')
ok "the registration is logged with the key's fingerprint ($fp)" \
	grep -qF "(registered over ssh) by key $fp (ssh-ed25519)" <<<"$roam_out"

# a key that registers in a loop moves the tunnel at most once a second
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms_now) regs=
for c in 203.0.113.11 203.0.113.12 203.0.113.10; do
	SSH_CONNECTION="$c 40000 198.51.100.238 22" rt_gw register >/dev/null 2>&1
	regs="$regs $?"
done
ms=$(( $(ms_now) - t0 ))
is "$regs" " 0 0 0" "three registrations from new addresses are accepted"
ok "…and take at least 2 s: one change a second (took $ms ms)" test "$ms" -ge 1900
state_mtime() { stat -c %Y.%y "$LAB_TMP/run-gw/tunnel-tunl1.state"; }
before=$(state_mtime)
out=$(SSH_CONNECTION="203.0.113.10 40000 198.51.100.238 22" rt_gw -v register 2>&1)
like "$out" "remote 203.0.113.10 unchanged" "a registration from the same address is a no-op"
is "$(state_mtime)" "$before" "…that is not a change (nothing written, nothing to pace)"
like "$(ip -n "$GW" -d link show tunl1)" "remote 203.0.113.10 " "the tunnel points back at the mobile"

# a gateway that goes silent in the middle of a registration: ssh's
# ServerAliveInterval (3 × 5 s) gives up; one that answers but never finishes:
# register_timeout ends ssh. Either way roam fails instead of holding the hook,
# and the next roam registers again by itself. Each forced command leaves its
# own mark when it starts (under TCG, ssh may take seconds to get there).
hang_key() {	# MARK: a forced command that marks its start and never ends
	echo "restrict,command=\"touch $LAB_TMP/$1; exec sleep 101\" $(cat "$LAB_SSH_KEY.pub")" \
		>"$LAB_SSH_AUTHORIZED_KEYS"
}
mob_conf_with() {	# NAME LINE: mob.conf plus one line
	cp "$LAB_TMP/mob.conf" "$LAB_TMP/$1"
	echo "$2" >>"$LAB_TMP/$1"
}
rt_mob_bounded() {	# CONF: roam under a 90 s watchdog; sets out rc ms
	local t0
	t0=$(ms_now)
	out=$(ip netns exec "$MOB" env ROAM_RUNDIR="$LAB_TMP/run-mob" ROAM_TUNNEL_SSH="$LAB_TMP/ssh" \
		timeout 90 "$RT" -v -c "$1" roam 2>&1); rc=$?
	ms=$(( $(ms_now) - t0 ))
	note "$out"
}
ip -n "$MOB" addr flush dev "$MOB_IF1"
ip -n "$MOB" addr add 203.0.113.20/26 dev "$MOB_IF1"
ip -n "$MOB" route add default via 203.0.113.1

hang_key hung-silent
mob_conf_with mob-t60.conf "register_timeout = 60"	# so that only ServerAlive can end it
( for _ in $(seq 900); do [ -e "$LAB_TMP/hung-silent" ] && break; sleep 0.1; done
  ip netns exec "$GW" nft -f - <<'NFT'
table ip roamhang {
	chain input { type filter hook input priority -10; tcp dport 22 drop; }
}
NFT
) &
hang=$!
rt_mob_bounded "$LAB_TMP/mob-t60.conf"
wait "$hang"
ok "the gateway's forced command had started" test -e "$LAB_TMP/hung-silent"
is "$rc" 4 "roam through a gateway gone silent fails (exit 4) instead of hanging ($ms ms)"
like "$out" "Timeout, server 198.51.100.238 not responding" "…ended by ssh's ServerAliveInterval"
like "$out" "registration with root@198.51.100.238 failed" "…and says the registration failed"
ip netns exec "$GW" nft delete table ip roamhang

hang_key hung-busy
mob_conf_with mob-t20.conf "register_timeout = 20"
rt_mob_bounded "$LAB_TMP/mob-t20.conf"
like "$out" "registering again" "the next roam registers again, with no address changed"
ok "the gateway's forced command had started" test -e "$LAB_TMP/hung-busy"
is "$rc" 4 "roam to a gateway whose register never ends fails (exit 4) after register_timeout ($ms ms)"
like "$out" "no answer within 20 s \(register_timeout\)" "…and says so"
pkill -f 'sleep 101'
echo "restrict,command=\"$RT -v --rundir $LAB_TMP/run-gw -c $LAB_TMP/gw.conf register\" $(cat "$LAB_SSH_KEY.pub")" \
	>"$LAB_SSH_AUTHORIZED_KEYS"
out=$(rt_mob -v roam 2>&1); rc=$?
note "$out"
is "$rc" 0 "the next roam, with no address changed, exits 0"
like "$out" "registering again" "…because it remembered that the registration had failed"
like "$(ip -n "$GW" -d link show tunl1)" "remote 203.0.113.20 " "…and the gateway follows"
out=$(rt_mob -v roam 2>&1)
like "$out" "nothing to change" "once through, roam has nothing more to do"
# back to where section E expects the laptop
ip -n "$MOB" addr flush dev "$MOB_IF1"
ip -n "$MOB" addr add 203.0.113.10/26 dev "$MOB_IF1"
ip -n "$MOB" route add default via 203.0.113.1
ok "roam back to 203.0.113.10" rt_mob roam
like "$(ip -n "$GW" -d link show tunl1)" "remote 203.0.113.10 " "the gateway points at the mobile again"

# ---- E: a dial-up uplink (real pppd) -------------------------------------------------
. "$ROAM_TOP/tests/vm/tunnel-ppp.sh"

ok "mobile down" rt_mob down
ok "gateway down" rt_gw down
is "$(ip -n "$GW" -o link show tunl1 2>&1; ip -n "$MOB" -o link show tunl1 2>&1)" \
	"$(printf 'Device "tunl1" does not exist.\nDevice "tunl1" does not exist.')" "no tunl1 left on either side"
is "$(ip -n "$MOB" rule show | grep -c 'lookup 200')" 0 "no rule of ours left on the mobile"
is "$(ip netns exec "$GW" cat /proc/sys/net/ipv4/ip_forward)" 0 "ip_forward back to 0 on the gateway"
done_testing
