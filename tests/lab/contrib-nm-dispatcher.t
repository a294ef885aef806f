#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NetworkManager dispatcher hook, run as NetworkManager-dispatcher runs a
# file of /etc/NetworkManager/dispatcher.d: as root, `$1` the interface
# (empty for connectivity-change, "none" for hostname), `$2` the action, a
# clean environment with NM's variables (NM_DISPATCHER_ACTION, CONNECTION_*,
# DEVICE_IFACE, DEVICE_IP_IFACE, IP4_ADDRESS_0 "ADDR/LEN GATEWAY",
# IP4_GATEWAY, DHCP4_*, CONNECTIVITY_STATE) and systemd's PATH, on a laptop
# namespace whose uplink wlp2s0 sits on the guest LAN. roam-tunnel is a stub
# (first in PATH and at /usr/local/sbin/roam-tunnel in a private mount) that
# records its arguments: this is the hook's contract, the real `roam` is
# tested in the VM. NM runs only root-owned executables that group and others
# cannot write, so the shipped file must be one.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
hook=$(cl_file '*nm-dispatcher*' '*dispatcher*' '*NetworkManager*')
[ -n "$hook" ] || cl_skip_all "roam-tunnel.nm-dispatcher"
lab_require_root
lab_init
plan 14

ok "make install into a private /usr/local" cl_install
is "$(stat -c %A "$hook" | cut -c4,6,9)" "x--" \
	"${hook##*/} is executable and not writable by group or others (NM skips it otherwise)"
inst=$CL_ROOT/usr/local/share/doc/roam/contrib/${hook##*/}
is "$(stat -c %a "$inst" 2>/dev/null)" 755 "make install keeps it executable (0755)"

# the laptop on the guest LAN: uplink wlp2s0 203.0.113.230/26, router .193
laptop=$(lab_ns laptop)
router=$(lab_ns router)
lab_link "$laptop" 203.0.113.230/26 "$router" 203.0.113.193/26
ip -n "$laptop" link set "$LAB_LINK_IF1" down
ip -n "$laptop" link set "$LAB_LINK_IF1" name wlp2s0
ip -n "$laptop" link set wlp2s0 up
ip -n "$laptop" route add default via 203.0.113.193 dev wlp2s0

# roam-tunnel: the stub, in PATH first and where make install puts the real one
cl_stub roam-tunnel DEVICE_IFACE NM_DISPATCHER_ACTION
cp "$CL_STUBS/roam-tunnel" "$CL_ROOT/usr/local/sbin/roam-tunnel"
cl_conf "[tunnel]"

# dispatch IFACE ACTION [VAR=VALUE…]: one run as NetworkManager-dispatcher does it;
# $rc, $out (its output), $calls (the stub's log of this run)
dispatch() {
	local iface=$1 action=$2
	shift 2
	: >"$CL_STUBS/roam-tunnel.log"
	local envv=(PATH="$CL_STUBS:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" LANG=C.UTF-8
		NM_DISPATCHER_ACTION="$action"
		CONNECTION_UUID=6c1b8c4e-3f9e-4a51-9c0c-1f3c1d2e5a77 CONNECTION_ID="Guest WiFi"
		CONNECTION_DBUS_PATH=/org/freedesktop/NetworkManager/Settings/3
		CONNECTION_FILENAME="/etc/NetworkManager/system-connections/Guest WiFi.nmconnection")
	if [ -n "$iface" ] && [ "$iface" != none ]; then
		envv+=(DEVICE_IFACE="$iface" DEVICE_IP_IFACE="$iface"
			IP4_NUM_ADDRESSES=1 IP4_ADDRESS_0="203.0.113.230/26 203.0.113.193"
			IP4_GATEWAY=203.0.113.193 IP4_NUM_ROUTES=0 IP4_NAMESERVERS=203.0.113.193
			DHCP4_IP_ADDRESS=203.0.113.230 DHCP4_ROUTERS=203.0.113.193 DHCP4_SUBNET_MASK=255.255.255.192)
	fi
	out=$(cl_host --ns "$laptop" env -i "${envv[@]}" "$@" "$inst" "$iface" "$action" 2>&1 </dev/null)
	rc=$?
	calls=$(cat "$CL_STUBS/roam-tunnel.log")
}
# one_roam: exactly one call, and it is `roam`
one_roam() { [ "$(grep -c . <<<"$calls")" = 1 ] && [[ $calls =~ (^|\ )roam(\ |$) ]]; }

dispatch wlp2s0 up
ok "up on wlp2s0 (exit $rc): exactly one 'roam-tunnel … roam'" one_roam
note "  call: $calls"
dispatch wlp2s0 dhcp4-change
ok "dhcp4-change on wlp2s0 (a new lease, maybe a new address): one roam" one_roam
is "$rc" 0 "  exit status 0"
dispatch "" connectivity-change CONNECTIVITY_STATE=FULL
is "$rc" 0 "connectivity-change (empty interface, FULL): exit status 0"
like "$(grep -c . <<<"$calls")" '^[01]$' "  at most one roam-tunnel call"
note "  calls: ${calls:-none}"
for a in pre-up pre-down; do
	dispatch wlp2s0 "$a"
	is "$rc:$calls" "0:" "$a on wlp2s0 (not configured yet / still the old network): no roam-tunnel call, exit 0"
done
# down: another uplink may now lead out, so a roam is allowed, one at most
dispatch wlp2s0 down
like "$rc:$(grep -c . <<<"$calls")" '^0:[01]$' "down on wlp2s0: exit 0, at most one roam-tunnel call"
# the tunnel's own link coming up is roam-tunnel's doing, not a move: a call
# here would loop (roam re-creates nothing, but registers again each time)
dispatch tunl1 up
is "$rc:$calls" "0:" "up on tunl1 (the tunnel itself): no roam-tunnel call"
dispatch none hostname
is "$rc:$calls" "0:" "hostname (interface none): no roam-tunnel call, exit 0"
# a failing roam (the gateway unreachable right now) must not hang the hook
echo 1 >"$CL_STUBS/roam-tunnel.exit"
dispatch wlp2s0 up
ok "up with roam-tunnel failing: the hook returns (status $rc), one call" one_roam
rm -f "$CL_STUBS/roam-tunnel.exit"
done_testing
