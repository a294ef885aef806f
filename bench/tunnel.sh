#!/usr/bin/env bash
# bench/tunnel.sh — roam-tunnel up + down against the seed's `ip` commands, per role,
# on a real ipip kernel: one VM boot (../shared/vm/run-in-vm), figures only.
#   bench/tunnel.sh [BUILD_DIR]      (BENCH_ROUNDS=N, default 20)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-${ROAM_BUILD:-$top/build}}" && pwd)
[ -x "$build/roam-tunnel" ] || { echo "bench/tunnel.sh: build $build/roam-tunnel first" >&2; exit 1; }
cd "$top"
exec "$top/../shared/vm/run-in-vm" env ROAM_TOP="$top" ROAM_BUILD="$build" \
	BENCH_ROUNDS="${BENCH_ROUNDS:-20}" bash "$top/bench/tunnel-guest.sh"
