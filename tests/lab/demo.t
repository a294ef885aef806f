#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/lab/demo.t — `make demo` as a lab test, so that it cannot rot.
#
# Runs scripts/demo (the whole story of DESIGN.md: in the VM of ../shared/vm
# when this kernel has no ipip) and turns its result lines into TAP:
#   ok per "✔ lab:" / "✔ step N:" line, the counts of the summary (sent 20,
#   20 on the mobile, lost 0, duplicated 0), the last line `demo: PASS` and
#   the exit status. The demo's whole output is shown as comments (prove -v),
#   and on stderr when something failed.
# Skips (TAP SKIP) when not root, or while one of the four tools is not built.
set -uo pipefail

: "${ROAM_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${ROAM_BUILD:=$ROAM_TOP/build}"
export ROAM_TOP ROAM_BUILD

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP not root"
	exit 0
fi
missing=
for t in roam-tunnel roam-probe roam-redirect roam-fetch; do
	[ -x "$ROAM_BUILD/$t" ] || missing+="${missing:+, }$t"
done
if [ -n "$missing" ]; then
	echo "1..0 # SKIP $missing not built yet: the demo needs all four tools"
	exit 0
fi
# ROAM_DEMO_ENCAP=wireguard: the story behind a hotel NAT (tests/lab/demo-wireguard.t)
ENCAP=${ROAM_DEMO_ENCAP:-ipip}
if ! { [ -d "/sys/module/$ENCAP" ] || modprobe -q "$ENCAP" 2>/dev/null; } &&
	[ ! -x "${ROAM_VM_RUNNER:-$(cd "$ROAM_TOP/.." && pwd)/shared/vm/run-in-vm}" ]; then
	echo "1..0 # SKIP no $ENCAP in this kernel and no ../shared/vm/run-in-vm"
	exit 0
fi

out=$(mktemp "${TMPDIR:-/tmp}/roam-demo-t.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
# stdin closed, no terminal, as in CI; V unset (plain narration)
env -u V ROAM_DEMO_ENCAP="$ENCAP" "$ROAM_TOP/scripts/demo" </dev/null >"$out" 2>&1
rc=$?
sed 's/^/# /' "$out"

n=0 failed=0
tap() {  # tap OK DESC
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
if [ "$ENCAP" = wireguard ]; then echo "1..13"; else echo "1..12"; fi

# the set-up and the five steps: one result line each
line=$(grep -E '^  [✔✘] lab: ' "$out" | tail -n 1)
[[ $line == "  ✔ lab: "* ]]; tap $? "lab: ${line#  ? lab: }"
for s in 1 2 3 4 5; do
	line=$(grep -E "^  [✔✘] step $s: " "$out" | tail -n 1)
	[[ $line == "  ✔ step $s: "* ]]; tap $? "step $s: ${line#  ? step $s: }"
done

# the summary, counted by Message-ID
sum=$(grep -E '^ +sent [0-9]+ · on the mobile [0-9]+' "$out" | tail -n 1)
lost=$(grep -E '^ +lost [0-9]+ · duplicated [0-9]+' "$out" | tail -n 1)
[[ $sum =~ sent\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = 20 ]; tap $? "20 messages sent"
[[ $sum =~ on\ the\ mobile\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = 20 ]; tap $? "20 on the mobile in the end"
[[ $lost =~ lost\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = 0 ]; tap $? "none lost"
[[ $lost =~ duplicated\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = 0 ]; tap $? "none duplicated"

# behind the hotel NAT the gateway's endpoint is the NAT's address: step 4 checks it
if [ "$ENCAP" = wireguard ]; then
	grep -qE '^  ✔ step 4: through the hotel NAT' "$out"
	tap $? "wireguard: step 4 ran behind the hotel NAT (ipip dropped, endpoint = the NAT)"
fi

# the verdict: last line and exit status
last=$(tail -n 1 "$out")
[ "$last" = "demo: PASS" ]; tap $? "last line: $last"
[ "$rc" = 0 ]; tap $? "scripts/demo exits 0 (got $rc)"

if [ "$failed" != 0 ]; then
	echo "# failed $failed of $n; the demo said:" >&2
	sed 's/^/#   /' "$out" >&2
fi
exit "$failed"
