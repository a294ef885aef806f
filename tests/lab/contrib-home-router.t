#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/roam-home-router.nft on a real nftables router: a laptop on the
# internet reaches the roam gateway's WireGuard port at the router's public
# address, and the gateway's answers come back from that address (as
# WireGuard needs: the mobile's peer endpoint is the router). Only that
# port is forwarded; the snippet adds one table and removes cleanly.
# UDP datagrams stand in for WireGuard (the host kernel has no wireguard;
# tests/vm/tunnel-wireguard.t runs the tunnel itself through such a forward).
#
#   laptop 203.0.113.50 ── wan 203.0.113.1  router  198.51.100.1 lan ── gateway 198.51.100.238
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
snippet=$ROAM_TOP/contrib/roam-home-router.nft
[ -f "$snippet" ] || { echo "1..0 # SKIP no contrib/roam-home-router.nft"; exit 0; }

laptop=$(lab_ns laptop) router=$(lab_ns router) gw=$(lab_ns gateway)
lab_link "$laptop" 203.0.113.50/24 "$router" 203.0.113.1/24
wan=$LAB_LINK_IF2
lab_link "$router" 198.51.100.1/24 "$gw" 198.51.100.238/24
ip -n "$gw" route add default via 198.51.100.1
ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1

# the snippet as a user sets it: this lab's gateway and port are its
# examples, only the interface name changes
sed -e "s/^\(define wan = \)\"[^\"]*\"/\1\"$wan\"/" "$snippet" >"$LAB_TMP/router.nft"
is "$(diff "$snippet" "$LAB_TMP/router.nft" | grep -c '^>')" 1 "only the wan define differs from the shipped file"
ok "nft -f loads it on the router" ip netns exec "$router" nft -f "$LAB_TMP/router.nft"

# the gateway answers each datagram with "from gateway: DATA" (a WireGuard handshake reply)
ip netns exec "$gw" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(20)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"from gateway: " + data + b" seen from " + peer[0].encode(), peer)
' 51820 &
echo_pid=$!
ask() {	# ask PORT: one datagram from the laptop to the router's public address
	ip netns exec "$laptop" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(5):
    s.sendto(b"hello", ("203.0.113.1", int(sys.argv[1])))
    try:
        data, peer = s.recvfrom(2048)
        print(data.decode(), "reply from", peer[0])
        break
    except socket.timeout:
        pass
' "$1"
}
for _ in $(seq 50); do ip netns exec "$gw" ss -Hlun "sport = :51820" | grep -q . && break; sleep 0.1; done
out=$(ask 51820)
like "$out" "^from gateway: hello seen from 203\.0\.113\.50 reply from 203\.0\.113\.1$" \
	"udp/51820 at the router's address reaches the gateway, and its answer comes back from the router"
is "$(ask 51821)" "" "another port is not forwarded"
ok "it adds one table and nothing else" test "$(ip netns exec "$router" nft list tables)" = "table ip roam_home_router"
ok "nft delete table removes it" ip netns exec "$router" nft delete table ip roam_home_router
is "$(ask 51820)" "" "without it, nothing reaches the gateway"
kill "$echo_pid" 2>/dev/null
wait "$echo_pid" 2>/dev/null
done_testing
