# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/lab/probe-lib.sh — the mail server and the laptop for roam-probe's lab
# tests and bench/probe.sh (sourced after tests/lab/lib.sh and lab_init).
#
#   pl_setup            namespaces $PL_P (mail server, $PL_MAIL/24) and $PL_T
#                       (laptop, $PL_LAPTOP/24) on one veth link; $PL_SILENT is
#                       on that link but nobody has it. $PL_BIN is a copy of
#                       roam-probe that any user may run, $PL_STATE a state dir.
#   pl_probe ARGS…      roam-probe ARGS… inside $PL_P
#   pl_as_nobody ARGS…  the same as nobody:nogroup, no supplementary groups
#   pl_nft NS RULE…     adds RULE to an input chain of a table of our own in NS
#   pl_nft_flush NS     removes that table
#   pl_ping_groups NS "LO HI"   sets net.ipv4.ping_group_range in NS
#   pl_listen NS ADDR PORT      a TCP listener (nc) in NS, stopped on exit

PL_MAIL=198.51.100.152
PL_LAPTOP=198.51.100.180
PL_SILENT=198.51.100.99

pl_setup() {
	PL_P=$(lab_ns mail) && PL_T=$(lab_ns laptop) || return 1
	lab_link "$PL_P" "$PL_MAIL/24" "$PL_T" "$PL_LAPTOP/24" || return 1
	mkdir -p "$LAB_TMP/bin" && install -m 0755 "$ROAM_BUILD/roam-probe" "$LAB_TMP/bin/" || return 1
	PL_BIN=$LAB_TMP/bin/roam-probe
	PL_STATE=$LAB_TMP/state
	# a new namespace starts with "1 0": nobody may open ping sockets
	pl_ping_groups "$PL_P" "1 0"
}

pl_probe() { ip netns exec "$PL_P" "$PL_BIN" "$@"; }

pl_as_nobody() {
	ip netns exec "$PL_P" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$PL_BIN" "$@"
}

pl_nft() {
	local ns=$1; shift
	ip netns exec "$ns" nft list table inet roamtest >/dev/null 2>&1 ||
		ip netns exec "$ns" nft -f - <<-'EOF' || return 1
			table inet roamtest {
				chain input { type filter hook input priority 0; policy accept; }
			}
		EOF
	ip netns exec "$ns" nft add rule inet roamtest input "$@"
}

pl_nft_flush() { ip netns exec "$1" nft delete table inet roamtest 2>/dev/null || true; }

pl_ping_groups() { ip netns exec "$1" sysctl -qw net.ipv4.ping_group_range="$2"; }

pl_listen() {
	ip netns exec "$1" nc -lk -s "$2" -p "$3" </dev/null >/dev/null 2>&1 &
	local i
	for ((i = 0; i < 300; i++)); do
		ip netns exec "$1" ss -Htln "sport = :$3" | grep -q . && return 0
		sleep 0.01
	done
	return 1
}

# pl_field FILE N: the N-th field of a state file's line
pl_field() { awk -v n="$2" '{ print $n }' "$1"; }
