#!/usr/bin/env bash
# bench/tunnel-guest.sh — runs inside the VM (bench/tunnel.sh boots it): per role
# and encapsulation, `roam-tunnel up` + `down` against the same objects made by
# hand as a shell script (ipip: the seed's `ip` commands; wireguard: the `ip` and
# `wg set` commands that `roam-tunnel -n up` prints), N rounds each, in namespaces
# of their own; then TCP throughput through each tunnel (iperf3, between the two
# namespaces only). Prints figures, asserts nothing.
set -u
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
# Run roam-tunnel from the guest's own tmpfs, as an installed binary would run from
# a local disk: the build directory is the VM's work share, 9p without a page cache,
# so every exec from there reads the binary's pages from the host again, while the
# seed's `ip` comes from the cached root share. Measured: 10-75 ms more per call
# from the work share, none of it roam-tunnel's own doing.
cp "$ROAM_BUILD/roam-tunnel" "$LAB_TMP/roam-tunnel"
RT=$LAB_TMP/roam-tunnel
N=${BENCH_ROUNDS:-20}
modprobe ipip || { echo "no ipip module"; exit 1; }
modprobe wireguard || { echo "no wireguard module"; exit 1; }

GW=$(lab_ns gw) MOB=$(lab_ns mob)
lab_link "$GW" 198.51.100.238/24 "$MOB" 203.0.113.230/26 >/dev/null
GW_IF=$LAB_LINK_IF1
ip -n "$GW" route add default dev "$GW_IF"
ip -n "$MOB" addr add 203.0.113.193/32 dev lo	# stands in for the guest router below
ip -n "$MOB" route add default via 203.0.113.194 dev "$LAB_LINK_IF2" onlink

lab_tunnel_conf "$LAB_TMP/gw.conf" gateway lan_dev="$GW_IF"
lab_tunnel_conf "$LAB_TMP/mob.conf" mobile
# the seed (DESIGN.md), as people type it today, and its undo
cat >"$LAB_TMP/gw-up.sh" <<SEED
ip tunnel add tunl1 mode ipip local 198.51.100.238 remote 203.0.113.230
ip addr add 192.0.2.10 peer 192.0.2.20 dev tunl1
ip link set tunl1 up
ip route add 198.51.100.180 dev tunl1
ip neigh add proxy 198.51.100.180 dev $GW_IF
sysctl -qw net.ipv4.ip_forward=1
SEED
cat >"$LAB_TMP/gw-down.sh" <<SEED
ip neigh del proxy 198.51.100.180 dev $GW_IF
ip tunnel del tunl1
sysctl -qw net.ipv4.ip_forward=0
SEED
cat >"$LAB_TMP/mob-up.sh" <<SEED
ip tunnel add tunl1 mode ipip local 203.0.113.230 remote 198.51.100.238
ip addr add 192.0.2.20 peer 192.0.2.10 dev tunl1
ip addr add 198.51.100.180 dev tunl1
ip link set tunl1 up
ip route add 198.51.100.238 via 203.0.113.194 dev $LAB_LINK_IF2 onlink
ip rule add from 198.51.100.180 table 200
ip route add default via 192.0.2.10 dev tunl1 src 198.51.100.180 table 200
SEED
cat >"$LAB_TMP/mob-down.sh" <<SEED
ip rule del from 198.51.100.180 table 200
ip route del 198.51.100.238
ip tunnel del tunl1
SEED

# wireguard: the same roles; by hand is what `roam-tunnel -n up` prints (ip + wg set)
(umask 077 && wg genkey >"$LAB_TMP/gw.key" && wg genkey >"$LAB_TMP/mob.key")
lab_tunnel_conf "$LAB_TMP/gw-wg.conf" gateway lan_dev="$GW_IF" encap=wireguard name=wg1 \
	private_key="$LAB_TMP/gw.key" peer_public_key="$(wg pubkey <"$LAB_TMP/mob.key")"
lab_tunnel_conf "$LAB_TMP/mob-wg.conf" mobile encap=wireguard name=wg1 \
	private_key="$LAB_TMP/mob.key" peer_public_key="$(wg pubkey <"$LAB_TMP/gw.key")"
sed -i '/^local = /d' "$LAB_TMP/gw-wg.conf"	# the gateway's wireguard follows the mobile
sed -i '/^remote = /d' "$LAB_TMP/gw-wg.conf"
chmod 600 "$LAB_TMP"/*-wg.conf
ROAM_RUNDIR=$LAB_TMP/run-plan ip netns exec "$GW" "$RT" -c "$LAB_TMP/gw-wg.conf" -n up >"$LAB_TMP/gw-wg-up.sh"
ROAM_RUNDIR=$LAB_TMP/run-plan ip netns exec "$MOB" "$RT" -c "$LAB_TMP/mob-wg.conf" -n up >"$LAB_TMP/mob-wg-up.sh"
cat >"$LAB_TMP/gw-wg-down.sh" <<SEED
ip neigh del proxy 198.51.100.180 dev $GW_IF
ip link del wg1
sysctl -qw net.ipv4.ip_forward=0
SEED
sed 's/tunl1/wg1/' "$LAB_TMP/mob-down.sh" >"$LAB_TMP/mob-wg-down.sh"

# rounds NS ROAM-UP ROAM-DOWN SEED-UP SEED-DOWN: N rounds timed inside NS, the two
# alternating so that a busy host slows both alike. Prints the medians (ms per
# up + down) of wall time and of CPU time (user + system of the commands, from
# bash's `time`): the host here runs other VMs too, and CPU time is what is
# left when the guest waits for the host.
rounds() {
	ip netns exec "$1" bash -c '
		n=$1; shift; rw=() sw=() rc=() sc=()
		# the time keyword on the two commands alone: wall, user, system. (The
		# clock once ran around the subshell and the awk that added user and
		# system up too: two more processes per round, on both sides.)
		TIMEFORMAT="%3R %3U %3S"
		timed() { { time { $1 && $2; } >/dev/null 2>&1; } 2>&1; }
		ms() { awk "{ printf \"%s %s\", \$1 * 1000, (\$2 + \$3) * 1000 }" <<<"$1"; }
		for ((i = 0; i < n; i++)); do
			t=$(timed "$1" "$2") || exit 1; read -r w c < <(ms "$t"); rw+=("$w") rc+=("$c")
			t=$(timed "$3" "$4") || exit 1; read -r w c < <(ms "$t"); sw+=("$w") sc+=("$c")
		done
		median() { printf "%s\n" "$@" | sort -n | awk "{ v[NR] = \$1 } END { printf \"%.1f\", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }"; }
		echo "$(median "${rw[@]}") $(median "${sw[@]}") $(median "${rc[@]}") $(median "${sc[@]}")"
	' _ "$N" "$2" "$3" "$4" "$5"
}

echo "roam-tunnel up + down vs the seed's ip commands as a script"
echo "(median of $N alternating rounds, ms per up + down; kernel $(uname -r), $(nproc) CPU, load $(cut -d' ' -f1 /proc/loadavg);"
linked() { file -bL "$1" | grep -oE 'static-pie linked|statically linked|dynamically linked'; }
echo " roam-tunnel $(linked "$RT"), the seed's ip $(linked "$(command -v ip)"))"
printf '%-8s %-9s %-5s %12s %12s %8s\n' role encap time roam-tunnel "by hand" ratio
for role in gw mob; do
	ns=$GW; [ "$role" = mob ] && ns=$MOB
	name=$([ "$role" = gw ] && echo gateway || echo mobile)
	for encap in ipip wireguard; do
		sfx=; [ "$encap" = wireguard ] && sfx=-wg
		export ROAM_RUNDIR=$LAB_TMP/run-$role$sfx	# inherited: no extra exec of env(1) per call
		read -r rw sw rc sc < <(rounds "$ns" "$RT -q -c $LAB_TMP/$role$sfx.conf up" \
			"$RT -q -c $LAB_TMP/$role$sfx.conf down" "sh -e $LAB_TMP/$role$sfx-up.sh" \
			"sh -e $LAB_TMP/$role$sfx-down.sh") && [ -n "${sc:-}" ] ||
			{ echo "$role $encap: a round failed"; exit 1; }
		printf '%-8s %-9s %-5s %12s %12s %7.1fx\n' "$name" "$encap" wall "$rw" "$sw" \
			"$(awk -v r="$rw" -v s="$sw" 'BEGIN { print s / r }')"
		printf '%-8s %-9s %-5s %12s %12s %7.1fx\n' "$name" "$encap" cpu "$rc" "$sc" \
			"$(awk -v r="$rc" -v s="$sc" 'BEGIN { print s / r }')"
	done
done

. "$ROAM_TOP/bench/tunnel-throughput.sh"
