#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/fetch-rtt.sh — roam-fetch against mpop and fetchmail at 0, 10 and 40 ms of
# round trip (netem, which only the VM's kernel has): one VM boot
# (../shared/vm/run-in-vm) running bench/fetch-rtt-guest.sh. Figures and ratios only.
#   bench/fetch-rtt.sh [BUILD_DIR]   (BENCH_RTTS="0 10 40", BENCH_RTT_MIX="200x2k-50k",
#   BENCH_RUNS=1, BENCH_RTT_CLIENTS="roam-pipe roam-lockstep mpop fetchmail" (only
#   roam-lockstep may be left out); about 5 minutes under TCG with the defaults)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-${ROAM_BUILD:-$top/build}}" && pwd)
[ -x "$build/roam-fetch" ] || { echo "bench/fetch-rtt.sh: build $build/roam-fetch first" >&2; exit 1; }
cd "$top"
exec "$top/../shared/vm/run-in-vm" env ROAM_TOP="$top" ROAM_BUILD="$build" \
	BENCH_RTTS="${BENCH_RTTS:-0 10 40}" BENCH_RUNS="${BENCH_RUNS:-1}" \
	BENCH_RTT_CLIENTS="${BENCH_RTT_CLIENTS:-roam-pipe roam-lockstep mpop fetchmail}" \
	BENCH_RTT_MIX="${BENCH_RTT_MIX:-200x2k-50k}" \
	bash "$top/bench/fetch-rtt-guest.sh"
