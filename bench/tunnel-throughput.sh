# shellcheck shell=bash
# bench/tunnel-throughput.sh — sourced by bench/tunnel-guest.sh (same boot, same
# namespaces): TCP from the mobile's exported address to the gateway's inner
# address through each tunnel in turn, iperf3 for a few seconds, between the two
# namespaces only. Prints Mbit/s, asserts nothing. Under qemu TCG both ends and
# the crypto run on emulated CPUs: the ratio says more than the figures.
command -v iperf3 >/dev/null || { echo "throughput: no iperf3 in the guest, skipped"; return 0; }
SECS=${BENCH_SECONDS:-3}
# a router the mobile's default route can reach: the gateway's side answers for it
ip -n "$GW" addr add 203.0.113.194/26 dev "$GW_IF"

mbits() {	# mbits SUFFIX: up both ends, iperf3 through the tunnel, down both ends
	local sfx=$1 out
	ROAM_RUNDIR=$LAB_TMP/tp-gw ip netns exec "$GW" "$RT" -q -c "$LAB_TMP/gw$sfx.conf" up &&
		ROAM_RUNDIR=$LAB_TMP/tp-mob ip netns exec "$MOB" "$RT" -q -c "$LAB_TMP/mob$sfx.conf" up ||
		{ echo "?"; return; }
	ip netns exec "$GW" iperf3 -s -1 -B 192.0.2.10 >/dev/null 2>&1 &
	for _ in $(seq 50); do ip netns exec "$GW" ss -Htln "sport = :5201" | grep -q . && break; sleep 0.1; done
	out=$(ip netns exec "$MOB" iperf3 -c 192.0.2.10 -B 198.51.100.180 -t "$SECS" -f m 2>&1)
	wait
	ROAM_RUNDIR=$LAB_TMP/tp-mob ip netns exec "$MOB" "$RT" -q -c "$LAB_TMP/mob$sfx.conf" down
	ROAM_RUNDIR=$LAB_TMP/tp-gw ip netns exec "$GW" "$RT" -q -c "$LAB_TMP/gw$sfx.conf" down
	awk '/receiver/ { print $(NF - 2); f = 1 } END { if (!f) print "?" }' <<<"$out"
}
ipip=$(mbits "") wg=$(mbits -wg)
echo
echo "TCP through the tunnel, mobile 198.51.100.180 -> gateway 192.0.2.10 (iperf3, ${SECS} s, Mbit/s)"
printf '%-10s %10s\n' ipip "$ipip" wireguard "$wg"
awk -v i="$ipip" -v w="$wg" 'BEGIN { if (i + 0 > 0 && w + 0 > 0) printf "wireguard carries %.2fx of ipip\n", w / i }'
