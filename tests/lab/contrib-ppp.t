#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ppp ip-up.d hook, run as pppd runs it: pppd clears the environment,
# sets its own variables (IFNAME, IPLOCAL, IPREMOTE, DEVICE, SPEED, PPPD_PID,
# …) and calls Debian's /etc/ppp/ip-up (from the ppp package) with
#   $1 interface  $2 tty  $3 speed  $4 local IP  $5 remote IP  $6 ipparam;
# ip-up exports PPP_IFACE PPP_TTY PPP_SPEED PPP_LOCAL PPP_REMOTE PPP_IPPARAM
# and hands the same arguments to run-parts /etc/ppp/ip-up.d, which runs only
# executables whose names are made of letters, digits, _ and - (no dot).
# The hook goes into a private /etc/ppp/ip-up.d under the name its header
# gives; roam-tunnel is a stub at /usr/local/sbin/roam-tunnel (ip-up resets
# PATH) that records its arguments and environment: this is the hook's
# contract; the real `roam` over ppp0 is tested in the VM.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
hook=$(cl_file '*ppp-ip-up*' '*ip-up*' '*ppp*')
[ -n "$hook" ] || cl_skip_all "roam-tunnel.ppp-ip-up"
[ -x /etc/ppp/ip-up ] && command -v run-parts >/dev/null ||
	{ echo "1..0 # SKIP no /etc/ppp/ip-up or run-parts (ppp, debianutils)"; exit 0; }
lab_require_root
lab_init
plan 10

ok "make install into a private /usr/local" cl_install
is "$(stat -c %A "$hook" | cut -c4,6,9)" "x--" \
	"${hook##*/} is executable and not writable by group or others"
# the name it is installed under, from its own instructions
name=$(grep -oE 'ip-up\.d/[^ ]+' "$hook" | head -n1 | sed 's,.*/,,; s/[`.,;:)]*$//')
[ -n "$name" ] || name=${hook##*/}
note "installed as /etc/ppp/ip-up.d/$name"
like "$name" '^[A-Za-z0-9_-]+$' "the name it asks for, '$name', is one run-parts runs (no dot)"

# the laptop dials up: ppp0 203.0.113.230 peer 203.0.113.193 (a point-to-point
# link stands in for ppp0 in a namespace: the hook sees names, not a modem)
laptop=$(lab_ns laptop)
isp=$(lab_ns isp)
lab_link "$laptop" 203.0.113.230/32 "$isp" 203.0.113.193/32
ip -n "$laptop" link set "$LAB_LINK_IF1" down
ip -n "$laptop" link set "$LAB_LINK_IF1" name ppp0
ip -n "$laptop" link set ppp0 up
ip -n "$laptop" route add 203.0.113.193 dev ppp0
ip -n "$laptop" route add default via 203.0.113.193 dev ppp0

upd=$LAB_TMP/ip-up.d
mkdir -m 0755 "$upd"
install -m 0755 "$hook" "$upd/$name"
CL_BINDS=("$upd:/etc/ppp/ip-up.d")
cl_stub roam-tunnel PPP_IFACE PPP_LOCAL PPP_REMOTE PPP_IPPARAM
cp "$CL_STUBS/roam-tunnel" "$CL_ROOT/usr/local/sbin/roam-tunnel"
cl_conf "[tunnel]"
is "$(run-parts --test "$upd")" "$upd/$name" "run-parts --test /etc/ppp/ip-up.d lists the hook"

# ipup IPPARAM: /etc/ppp/ip-up as pppd calls it; $rc, $out, $calls
ipup() {
	: >"$CL_STUBS/roam-tunnel.log"
	out=$(cl_host --ns "$laptop" env -i \
		IFNAME=ppp0 IPLOCAL=203.0.113.230 IPREMOTE=203.0.113.193 DEVICE=/dev/ttyUSB0 SPEED=115200 \
		PEERNAME=guest-isp LINKNAME=ppp0 PPPLOGNAME=root ORIG_UID=0 PPPD_PID=4242 \
		/etc/ppp/ip-up ppp0 /dev/ttyUSB0 115200 203.0.113.230 203.0.113.193 "$1" 2>&1 </dev/null)
	rc=$?
	calls=$(cat "$CL_STUBS/roam-tunnel.log")
}
ipup roam
is "$rc" 0 "/etc/ppp/ip-up ppp0 /dev/ttyUSB0 115200 203.0.113.230 203.0.113.193 roam: exit 0"
is "$out" "" "  nothing on stdout/stderr (pppd logs it)"
is "$(grep -c . <<<"$calls")" 1 "  one roam-tunnel call"
like "$calls" '(^| )roam( |$)' "  and it is 'roam-tunnel … roam'"
note "  call: $calls"
like "$calls" 'PPP_IFACE=ppp0 PPP_LOCAL=203\.0\.113\.230 PPP_REMOTE=203\.0\.113\.193' \
	"  in the environment ip-up exported"
ipup ""
is "$rc" 0 "without an ipparam: exit 0 too"
done_testing
