# shellcheck shell=bash
# tests/vm/home-lan.sh — sourced by the VM guest scripts (tunnel-guest.sh,
# tunnel-wireguard-guest.sh) after lab_init: DESIGN.md's home LAN in namespaces.
#
#   mail .152 ─┐
#   gw   .238 ─┤ br0 198.51.100.0/24 (in ns "sw") ─ rt .3 (forwards; its guest sides: the caller's)
#
# Sets SW MAIL GW ROUTER MOB (the mobile: no links yet) and quiet_ns, port.
quiet_ns() {	# a namespace without IPv6, so that no DAD or RA changes a dump by itself
	local ns
	ns=$(lab_ns "$1") || return 1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	echo "$ns"
}
port() {	# port NS IF ADDR/LEN: veth IF in NS, its other end on br0
	ip -n "$1" link add "$2" type veth peer name "p-$2-${1##*-}" netns "$SW" &&
	ip -n "$SW" link set "p-$2-${1##*-}" master br0 up &&
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up
}
SW=$(quiet_ns sw) MAIL=$(quiet_ns mail) GW=$(quiet_ns gw) ROUTER=$(quiet_ns rt) MOB=$(quiet_ns mob)
ip -n "$SW" link add br0 type bridge && ip -n "$SW" link set br0 up &&
	port "$MAIL" eth0 198.51.100.152/24 && port "$GW" eth0 198.51.100.238/24 &&
	port "$ROUTER" home0 198.51.100.3/24 &&
	ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1 &&
	ip -n "$MAIL" route add default via 198.51.100.3 &&
	ip -n "$GW" route add default via 198.51.100.3 || { echo "Bail out! home LAN"; exit 1; }
