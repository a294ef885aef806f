#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch's host key policy against a real sshd: plain, hashed and
# [host]:port known_hosts entries are accepted; an unknown host, a changed key,
# a plain "host" entry for a port other than 22 or an @revoked key is refused before any POP3 byte (dovecot sees no connection), naming the key
# type and the fingerprint ssh-keygen -l prints. Also: ssh-agent
# authentication, and compression.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }
hostkey=$(cut -d' ' -f1,2 "$LAB_SSHD_DIR/host_ed25519.pub")
fingerprint=$(ssh-keygen -lf "$LAB_SSHD_DIR/host_ed25519.pub" | cut -d' ' -f2)
# as an ERE: base64 has +
fingerprint_re=$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"$fingerprint")
pop3_logins() { grep -c 'pop3-login' "$LAB_DOVECOT_LOG" 2>/dev/null || true; }
kh=$LAB_TMP/kh
mkdir -p "$kh"

# a run that must be refused: exit 2, the server untouched, no POP3 connection
refused() {	# refused NAME KNOWN_HOSTS ERE DESC
	local before c
	fresh_server 1
	before=$(pop3_logins)
	c=$(conf "$1" "known_hosts=$2")
	fetch "$c"
	is "$rc" 2 "$4: exit 2"
	like "$(cat "$LAB_TMP/err")" "$3" "$4: the message names it"
	like "$(cat "$LAB_TMP/err")" "ssh-ed25519 $fingerprint_re" \
		"$4: names the key type and the fingerprint ssh-keygen -l prints"
	is "$(pop3_logins)" "$before" "$4: no POP3 connection was made"
	is "$(server_count)" 1 "$4: the message stays on the server"
}

# ---- refusals -----------------------------------------------------------------
: >"$kh/empty"
refused unknown "$kh/empty" "is not in $kh/empty" "unknown host"
refused missing "$kh/does-not-exist" "is not in" "no known_hosts file"
ssh-keygen -q -t ed25519 -N '' -f "$kh/other"
echo "[127.0.0.1]:$LAB_SSH_PORT $(cut -d' ' -f1,2 "$kh/other.pub")" >"$kh/changed"
refused changed "$kh/changed" "CHANGED" "changed host key"
echo "[127.0.0.1]:$((LAB_SSH_PORT + 1)) $hostkey" >"$kh/otherport"
refused otherport "$kh/otherport" "is not in" "key listed for another port only"

# ---- accepted forms -------------------------------------------------------------
accepted() {	# accepted NAME KNOWN_HOSTS DESC
	local c
	fresh_server 1
	c=$(conf "$1" "known_hosts=$2")
	fetch "$c"
	is "$rc" 0 "$3: accepted (exit 0)"
	is "$(delivered "$1")" "$(cat "$LAB_TMP/orig")" "$3: the message is delivered"
}
echo "[127.0.0.1]:$LAB_SSH_PORT $hostkey" >"$kh/bracketed"
accepted bracketed "$kh/bracketed" "[host]:port entry"
cp "$kh/bracketed" "$kh/hashed"
ssh-keygen -q -H -f "$kh/hashed" 2>/dev/null
rm -f "$kh/hashed.old"
like "$(cat "$kh/hashed")" '^\|1\|' "ssh-keygen -H hashed the entry"
accepted hashed "$kh/hashed" "hashed entry"
{
	echo "# a comment, a blank line, a CA line and a security-key line first"
	echo
	echo "@cert-authority *.example.net $hostkey"
	echo "198.51.100.1 sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA=="
	echo "[127.0.0.1]:$LAB_SSH_PORT $hostkey"
} >"$kh/mixed"
accepted mixed "$kh/mixed" "entry after lines libssh2 cannot parse"

# ---- OpenSSH's rules where libssh2 has its own ---------------------------------------
# a plain "host" entry does not cover another port (libssh2 alone would take it)
echo "127.0.0.1 $hostkey" >"$kh/plain"
refused plain "$kh/plain" "is not in $kh/plain" "plain host entry for a non-22 port"
# a revoked key, though a line lists it for the host
{
	echo "[127.0.0.1]:$LAB_SSH_PORT $hostkey"
	echo "@revoked * $hostkey retired"
} >"$kh/revoked"
refused revoked "$kh/revoked" "is REVOKED: .* marks @revoked" "@revoked key"

# ---- compression ----------------------------------------------------------------------
fresh_server 20 20000
c=$(conf compress "compress=yes")
fetch "$c" -v
is "$rc" 0 "compress = yes: exit 0"
is "$(delivered compress)" "$(cat "$LAB_TMP/orig")" "compress = yes: delivered intact"

# ---- ssh-agent, no key file --------------------------------------------------------------
if command -v ssh-agent >/dev/null; then
	fresh_server 1
	mkdir -p "$LAB_TMP/agenthome"
	eval "$(ssh-agent -s -a "$LAB_TMP/agent.sock")" >/dev/null
	agent_pid=$SSH_AGENT_PID
	ssh-add -q "$LAB_SSH_KEY" 2>/dev/null
	c=$(conf agent "identity=")
	HOME=$LAB_TMP/agenthome fetch "$c"
	is "$rc" 0 "ssh-agent only (no identity, no ~/.ssh keys): exit 0"
	is "$(delivered agent)" "$(cat "$LAB_TMP/orig")" "ssh-agent only: delivered"
	kill "$agent_pid"
	unset SSH_AUTH_SOCK SSH_AGENT_PID
	fresh_server 1
	HOME=$LAB_TMP/agenthome fetch "$c"
	is "$rc" 3 "no agent and no key file: exit 3"
	like "$(cat "$LAB_TMP/err")" "ed25519 or ecdsa" "no key accepted: the message names usable key types"
else
	skip "ssh-agent" "ssh-agent missing"
fi

done_testing
