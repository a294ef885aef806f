#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The authorized_keys line for registration, checked with a real sshd on a
# gateway namespace: the line's options verbatim in front of the lab's client
# key; the mobile connects from its guest address in another namespace. The
# forced command must run whatever the client asks, and `register` must see
# the connection's own source address in SSH_CONNECTION; restrict must refuse
# forwarding and a pty. roam-tunnel is a stub at /usr/local/sbin/roam-tunnel
# (a private mount of a `make install` tree, sshd started inside it) that
# records its arguments, SSH_CONNECTION and SSH_ORIGINAL_COMMAND: this is the
# line's contract; the real registration is tested in the VM.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
keys=$(cl_file 'authorized_keys*' '*authorized_keys*')
[ -n "$keys" ] || cl_skip_all "authorized_keys.roam"
command -v /usr/sbin/sshd >/dev/null || { echo "1..0 # SKIP no sshd"; exit 0; }
lab_require_root
lab_init
plan 13

# the line: options, then the key type
line=$(grep -vE '^[[:space:]]*(#|$)' "$keys" | head -n1)
re='^(.*[^[:space:]])[[:space:]]+(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)[[:space:]]'
[[ $line =~ $re ]] && options=${BASH_REMATCH[1]} || options=
like "$options" 'command="[^"]*roam-tunnel[^"]* register"' "${keys##*/}: a forced command 'roam-tunnel … register'"
note "options: $options"

ok "make install into a private /usr/local" cl_install
cl_stub roam-tunnel SSH_CONNECTION SSH_ORIGINAL_COMMAND
cp "$CL_STUBS/roam-tunnel" "$CL_ROOT/usr/local/sbin/roam-tunnel"
cl_conf "[tunnel]"

# gateway .238 on the home LAN, the mobile on the guest LAN; one link between
# them stands in for the internet
gw=$(lab_ns gateway)
mobile=$(lab_ns mobile)
lab_link "$gw" 198.51.100.238/24 "$mobile" 203.0.113.230/26
ip -n "$gw" route add 203.0.113.230/32 dev "$LAB_LINK_IF1"
ip -n "$mobile" route add 198.51.100.238/32 dev "$LAB_LINK_IF2"

# lab_sshd writes the config and keys; its sshd is then replaced by one
# started inside the private mount (so that it finds the stub)
ok "sshd set up on the gateway" lab_sshd --ns "$gw" 198.51.100.238 22
kill "$LAB_SSHD_PID"; wait "$LAB_SSHD_PID" 2>/dev/null
echo "$options $(cut -d' ' -f1,2 "$LAB_SSH_KEY.pub") roam@laptop" >"$LAB_SSH_AUTHORIZED_KEYS"
cl_host_cmd --ns "$gw" /usr/sbin/sshd -D -f "$LAB_SSHD_CONFIG" -E "$LAB_SSHD_LOG"
"${CL_CMD[@]}" </dev/null >>"$LAB_SSHD_LOG" 2>&1 &
ok "sshd restarted with the line in authorized_keys" _lab_wait_banner "$gw" 198.51.100.238 22 SSH-2.0-

# from the mobile: $rc, $out, $err, $calls
mssh() {
	: >"$CL_STUBS/roam-tunnel.log"
	ip netns exec "$mobile" ssh "${LAB_SSH_OPTS[@]}" -p 22 "$LAB_SSH_USER@198.51.100.238" "$@" \
		</dev/null >"$LAB_TMP/out" 2>"$LAB_TMP/err"
	rc=$?
	out=$(cat "$LAB_TMP/out") err=$(cat "$LAB_TMP/err")
	calls=$(cat "$CL_STUBS/roam-tunnel.log")
}

mssh
is "$rc" 0 "ssh gateway (no command): the forced command runs, status 0"
like "$calls" '^register SSH_CONNECTION=' "  roam-tunnel register was called"
like "$calls" 'SSH_CONNECTION=203\.0\.113\.230 [0-9]+ 198\.51\.100\.238 22 ' \
	"  SSH_CONNECTION carries the mobile's own source address 203.0.113.230"
note "  call: $calls"
mssh "touch $LAB_TMP/pwned; echo hello"
like "$calls" '^register .*SSH_ORIGINAL_COMMAND=touch ' "a client command: register runs instead (the request in SSH_ORIGINAL_COMMAND)"
is "$(ls "$LAB_TMP/pwned" 2>/dev/null)$out" "" "  and the client's command did not run"
mssh -W 198.51.100.238:22
isnt_zero=$([ "$rc" != 0 ] && echo yes)
is "$isnt_zero:$calls" "yes:" "ssh -W (a forward): refused, no register"
like "$err" "(prohibited|open failed)" "  sshd says it is prohibited"
mssh -tt
like "$err" "PTY allocation request failed" "ssh -tt: no pty (restrict)"
mssh -A -o ForwardAgent=yes
like "$calls" '^register ' "agent forwarding asked: register still runs"
done_testing
