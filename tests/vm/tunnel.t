#!/usr/bin/env bash
# tests/vm/tunnel.t — roam-tunnel on a real ipip kernel: boots Debian's kernel once
# (../shared/vm/run-in-vm) and runs tests/vm/tunnel-guest.sh inside, whose TAP
# passes through. Skips only when qemu cannot run at all. ROAM_VM_GUEST names another
# guest script (tests/vm/tunnel-wireguard.t runs tunnel-wireguard-guest.sh this way).
set -u
top=${ROAM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${ROAM_BUILD:-$top/build}
vm=${ROAM_VM:-$top/../shared/vm/run-in-vm}

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP not root (the VM runner needs root)"; exit 0; }
[ -x "$vm" ] || { echo "1..0 # SKIP no VM runner at $vm"; exit 0; }
command -v qemu-system-x86_64 >/dev/null || { echo "1..0 # SKIP qemu-system-x86 not installed"; exit 0; }
[ -x "$build/roam-tunnel" ] || { echo "Bail out! $build/roam-tunnel not built"; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$top" || exit 1
ROAM_TOP=$top ROAM_BUILD=$build "$vm" env ROAM_TOP="$top" ROAM_BUILD="$build" ROAM_VM_TRACE="${ROAM_VM_TRACE:-}" \
	bash "$top/tests/vm/${ROAM_VM_GUEST:-tunnel-guest.sh}" | tee "$out"
rc=${PIPESTATUS[0]}
if [ "$rc" = 125 ] && ! grep -q '^1\.\.\|^ok \|^not ok ' "$out"; then
	echo "1..0 # SKIP the VM did not boot (run-in-vm exit 125)"
	exit 0
fi
exit "$rc"
