# shellcheck shell=bash
# tests/vm/tunnel-ppp.sh — sourced by tunnel-guest.sh (same boot, same topology)
# while both ends are up and the mobile sits on guest1: the laptop leaves the
# LAN and dials up. A real pppd pair over a pty (the mobile in $MOB, the ISP
# end in $ROUTER, which runs no scripts); the mobile's pppd runs Debian's own
# /etc/ppp/ip-up, whose run-parts runs contrib/roam-tunnel.ppp-ip-up as it is,
# from /etc/ppp/ip-up.d — bind mounts that exist only in the mount namespace
# of that pppd, inside the VM (an empty ip-down.d too: the host's postfix and
# fetchmail hooks stay out).
#
#   mobile ppp0 203.0.113.100 ⇄ peer 203.0.113.65 ppp9 (rt) ── home0 ── gateway
PPP_LOCAL_ADDR=203.0.113.100 PPP_PEER_ADDR=203.0.113.65
MOB_CONF_NOW=${MOB_CONF:-$LAB_TMP/mob.conf}

modprobe ppp_generic && modprobe ppp_async
[ -e /dev/ppp ] || mknod /dev/ppp c 108 0

# what the hook finds at /usr/local/sbin/roam-tunnel: this build, with this
# test's config, run dir and ssh (pppd gives its scripts a bare environment)
mkdir -p "$LAB_TMP/ppp/sbin" "$LAB_TMP/ppp/ip-up.d" "$LAB_TMP/ppp/ip-down.d"
cat >"$LAB_TMP/ppp/sbin/roam-tunnel" <<SH
#!/bin/sh
echo "roam-tunnel \$* (PPP_IFACE=\$PPP_IFACE PPP_LOCAL=\$PPP_LOCAL)" >>"$LAB_TMP/ppp/hook.log"
ROAM_RUNDIR=$LAB_TMP/run-mob ROAM_TUNNEL_SSH=$LAB_TMP/ssh "$RT" -v -c "$MOB_CONF_NOW" "\$@" \
	2>>"$LAB_TMP/ppp/hook.log"
rc=\$?
echo "exit \$rc" >>"$LAB_TMP/ppp/hook.log"
exit \$rc
SH
cp "$ROAM_TOP/contrib/roam-tunnel.ppp-ip-up" "$LAB_TMP/ppp/ip-up.d/roam-tunnel"
chmod 755 "$LAB_TMP/ppp/sbin/roam-tunnel" "$LAB_TMP/ppp/ip-up.d/roam-tunnel"

# the laptop leaves guest1
ip -n "$MOB" route del default
ip -n "$MOB" addr flush dev "$MOB_IF1"
ip -n "$MOB" link set "$MOB_IF1" down
gw_idx=$(ifindex "$GW" tunl1) mob_idx=$(ifindex "$MOB" tunl1)

# and dials up: defaultroute makes ppp0 the uplink that `uplink = auto` finds
ip netns exec "$MOB" unshare -m --propagation private sh -c '
	mount --bind "$1/ppp/ip-up.d" /etc/ppp/ip-up.d &&
	mount --bind "$1/ppp/ip-down.d" /etc/ppp/ip-down.d &&
	mount --bind "$1/ppp/sbin" /usr/local/sbin &&
	exec pppd nodetach noauth local nocrtscts nolock defaultroute ifname ppp0 \
		logfile "$1/ppp/mob.log" \
		pty "ip netns exec $2 pppd notty noauth local nocrtscts nolock ifname ppp9 logfile $1/ppp/isp.log ip-up-script /bin/true ip-down-script /bin/true $3:$4" \
		"$4:$3"' _ "$LAB_TMP" "$ROUTER" "$PPP_PEER_ADDR" "$PPP_LOCAL_ADDR" &
PPPD_PID=$!
hook_done() { grep -q '^exit ' "$LAB_TMP/ppp/hook.log" 2>/dev/null; }
for _ in $(seq 300); do hook_done && break; kill -0 "$PPPD_PID" 2>/dev/null || break; sleep 0.1; done
ok "ppp: pppd brings ppp0 up and runs /etc/ppp/ip-up → ip-up.d/roam-tunnel" hook_done
note "$(cat "$LAB_TMP/ppp/hook.log" 2>/dev/null)"
like "$(cat "$LAB_TMP/ppp/hook.log" 2>/dev/null)" "roam-tunnel -q roam \\(PPP_IFACE=ppp0 PPP_LOCAL=$PPP_LOCAL_ADDR\\)" \
	"ppp: the hook runs roam-tunnel -q roam with pppd's variables"
like "$(cat "$LAB_TMP/ppp/hook.log" 2>/dev/null)" "exit 0" "ppp: roam-tunnel roam exits 0"
like "$(ip -n "$MOB" -d link show tunl1)" "remote 198.51.100.238 local $PPP_LOCAL_ADDR" \
	"ppp: mobile tunl1 has the dial-up address as local"
like "$(ip -n "$GW" -d link show tunl1)" "remote $PPP_LOCAL_ADDR local 198.51.100.238" \
	"ppp: the gateway registered it as remote"
is "$(ifindex "$GW" tunl1) $(ifindex "$MOB" tunl1)" "$gw_idx $mob_idx" "ppp: both links changed in place"
like "$(ip -n "$MOB" route show 198.51.100.238)" "^198.51.100.238 dev ppp0 proto static scope link" \
	"ppp: the gateway route is pinned on the point-to-point device (no router)"
ok "ppp: mail host reaches the exported address over the dial-up line" \
	ip netns exec "$MAIL" ping -c 5 -i 0.3 -q "$EXPORTED"
ok "ppp: mobile status 0" rt_mob status

# uplink = ppp0 named, and no default route at all: pinned through the device
{ cat "$MOB_CONF_NOW"; echo "uplink = ppp0"; } >"$LAB_TMP/mob-ppp.conf"
ip -n "$MOB" route del default dev ppp0
MOB_CONF=$LAB_TMP/mob-ppp.conf
ok "ppp: uplink = ppp0 without a default route: status 0" rt_mob status
out=$(rt_mob -vv up 2>&1)
like "$out" "0 netlink changes" "ppp: …and up changes nothing"
MOB_CONF=$MOB_CONF_NOW

# hang up, back on guest1: roam follows
kill "$PPPD_PID"
wait "$PPPD_PID" 2>/dev/null
for _ in $(seq 100); do ip -n "$MOB" link show ppp0 >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$MOB" addr add 203.0.113.10/26 dev "$MOB_IF1"
ip -n "$MOB" link set "$MOB_IF1" up
ip -n "$MOB" route add default via 203.0.113.1
ok "ppp: after hang-up, roam on guest1 again" rt_mob roam
like "$(ip -n "$GW" -d link show tunl1)" "remote 203.0.113.10 " "ppp: the gateway follows back"
ok "ppp: mail host reaches the exported address on guest1 again" \
	ip netns exec "$MAIL" ping -c 5 -i 0.3 -q "$EXPORTED"
