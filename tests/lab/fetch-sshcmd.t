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
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

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

# ---- a Host alias with ProxyJump through a second sshd -----------------------------
ok "a second sshd (the jump host) starts" lab_sshd 127.0.0.1 || { done_testing; exit; }
jump_log=$LAB_SSHD_LOG
# DEBUG1 logs each direct-tcpip target: the proof that mail went through it
# (SIGHUP: sshd re-executes itself with the new configuration, same pid)
sed -i 's/^LogLevel VERBOSE/LogLevel DEBUG1/' "$LAB_SSHD_CONFIG"
kill -HUP "$LAB_SSHD_PID"
ok "the jump host's sshd takes LogLevel DEBUG1" _lab_wait_banner "" 127.0.0.1 "$LAB_SSH_PORT" SSH-2.0-
cat >>"$sshcfg" <<EOF2
Host jumphost
	HostName 127.0.0.1
	Port $LAB_SSH_PORT
	User $LAB_SSH_USER
	IdentityFile $LAB_SSH_KEY
	IdentitiesOnly yes
	UserKnownHostsFile $LAB_SSH_KNOWN_HOSTS
Host viajump
	HostName 127.0.0.1
	Port $mail_port
	User $LAB_SSH_USER
	IdentityFile $LAB_TMP/id_rsa
	IdentitiesOnly yes
	UserKnownHostsFile $mail_kh
	ProxyJump jumphost
EOF2
# the config file's Host blocks are matched in order: the "Host *" defaults
# above apply to both
fresh_server 5
c=$(conf jump "ssh_command=ssh -F $sshcfg -W %h:%p viajump")
fetch "$c"
is "$rc" 0 "ProxyJump: exit 0"
is "$(delivered jump)" "$(cat "$LAB_TMP/orig")" "ProxyJump: all 5 delivered byte for byte"
like "$(grep "Accepted publickey" "$jump_log" | tail -n 1)" "ED25519 SHA256:" \
	"ProxyJump: the jump host's sshd authenticated the lab key"
like "$(grep -a "server_request_direct_tcpip" "$jump_log" | tail -n 1)" "127\.0\.0\.1 port $mail_port" \
	"ProxyJump: the jump host opened the channel to the mail host's sshd"
[ "$(grep -ac server_request_direct_tcpip "$jump_log")" -gt 0 ] || diag "$(tail -n 30 "$jump_log")"

# ---- what the child is given ------------------------------------------------------
# a wrapper records its fds, its process group and session, its environment
# and arguments, then becomes ssh (python: a shell keeps fds of its own)
probe=$LAB_TMP/probe
mkdir -p "$probe"
cat >"$probe/wrap" <<EOF2
#!/usr/bin/python3
import os, sys
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
# listdir's own directory fd is closed again when it returns
fds = [fd for fd in sorted(int(f) for f in os.listdir("/proc/self/fd")) if is_open(fd)]
out = "$probe/child"
with open(out + ".fds", "w") as f:
    print(" ".join(str(fd) for fd in fds), file=f)
with open(out + ".ids", "w") as f:
    print(os.getpid(), os.getpgid(0), os.getsid(0), file=f)
with open(out + ".env", "w") as f:
    f.write("\\n".join(k + "=" + v for k, v in os.environ.items()) + "\\n")
with open(out + ".cmd", "w") as f:
    f.write(" ".join(sys.argv) + "\\n")
os.execvp("ssh", ["ssh"] + sys.argv[1:])
EOF2
chmod +x "$probe/wrap"
fresh_server 2
c=$(conf child "ssh_command=$probe/wrap -F $sshcfg -W %h:%p mailgw")
# the lab exports the password for its tests: not in roam-fetch's environment here
LAB_POP3_PASS='' fetch "$c"
is "$rc" 0 "wrapped ssh_command: exit 0"
is "$(delivered child | wc -l)" 2 "wrapped ssh_command: both delivered"
is "$(cat "$probe/child.fds")" "0 1 2" "the child has only stdin, stdout and stderr open"
read -r cpid cpgid csid <"$probe/child.ids" || true
ok "the child leads its own process group and session (pid $cpid, pgid $cpgid, sid $csid)" \
	test -n "$cpid" -a "$cpid" = "$cpgid" -a "$cpid" = "$csid"
like "$(cat "$probe/child.cmd")" "-W $LAB_POP3_HOST:$LAB_POP3_PORT mailgw" \
	"%h:%p became pop3_host:pop3_port in its argv"
ok "the child's environment is roam-fetch's (PATH is there)" grep -q '^PATH=' "$probe/child.env"
ok "the POP3 password is neither in its environment nor in its argv" \
	bash -c '! grep -qF -- "$1" "$2" "$3"' _ "$LAB_POP3_PASS" "$probe/child.env" "$probe/child.cmd"

# ---- failures and their exit status ---------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$LAB_TMP/id_stranger"
cat >>"$sshcfg" <<EOF2
Host stranger
	HostName 127.0.0.1
	Port $mail_port
	IdentityFile $LAB_TMP/id_stranger
	IdentitiesOnly yes
	UserKnownHostsFile $mail_kh
Host unknownkey
	HostName 127.0.0.1
	Port $mail_port
	IdentityFile $LAB_TMP/id_rsa
	UserKnownHostsFile /dev/null
EOF2
failing() {	# failing NAME CODE ERE DESC COMMAND
	fresh_server 1
	c=$(conf "$1" "ssh_command=$5")
	fetch "$c"
	is "$rc" "$2" "$4: exit $2"
	like "$(cat "$LAB_TMP/err")" "$3" "$4: the message says why"
	is "$(wc -l <"$LAB_TMP/err")" 1 "$4: one line"
	is "$(server_count)" 1 "$4: the mail stays on the server"
}
failing denied 3 "ssh_command \(ssh\) failed with exit status 255: .*Permission denied \(publickey\)" \
	"ssh refused the key (exit 255, Permission denied)" "ssh -F $sshcfg -W %h:%p stranger"
failing hostkey 2 "exit status 255: Host key verification failed" \
	"ssh does not know the host key (exit 255)" "ssh -F $sshcfg -W %h:%p unknownkey"
failing nocmd 2 "ssh_command: cannot run \`/nonexistent/ssh': No such file or directory" \
	"a command that does not exist" "/nonexistent/ssh -W %h:%p mailgw"
failing false 2 "ssh_command \(sh\) failed with exit status 9: no route, says the command" \
	"a command that fails otherwise" "sh -c 'echo no route, says the command >&2; exit 9'"

# ---- under valgrind: no memory errors, no leaks, no fd left open ------------------------
sanitized=$(ldd "$FETCH" 2>/dev/null | grep -o libasan || true)
vg() {	# vg NAME CODE DESC COMMAND: memcheck with --track-fds
	fresh_server 5
	c=$(conf "$1" "ssh_command=$4")
	timeout 300 valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--track-fds=yes --log-file="$LAB_TMP/$1.vg" "$FETCH" -c "$c" >/dev/null \
		2>"$LAB_TMP/$1.err" && rc=0 || rc=$?
	is "$rc" "$2" "under valgrind, $3: exit $2, no memory error or leak"
	[ "$rc" = "$2" ] || diag "$(head -c 3000 "$LAB_TMP/$1.vg")"
	# the fds the test harness (and valgrind's log) gave it are listed too,
	# as "<inherited from parent>"; one of ours would come with its backtrace
	is "$(grep -A1 'Open file descriptor' "$LAB_TMP/$1.vg" | grep -c 'Open file descriptor')" \
		"$(grep -A1 'Open file descriptor' "$LAB_TMP/$1.vg" | grep -c '<inherited from parent>')" \
		"under valgrind, $3: at exit, no fd open but stdin, stdout, stderr and those inherited"
	[ -n "$(grep -A1 'Open file descriptor' "$LAB_TMP/$1.vg" | grep -v inherited | grep -v -- '^--' | grep -v 'Open file')" ] &&
		diag "$(grep -A6 'Open file descriptor' "$LAB_TMP/$1.vg")"
}
if [ -n "$sanitized" ]; then
	skip "under valgrind" "ASan build: it checks itself"
elif command -v valgrind >/dev/null; then
	vg vgok 0 "a run over ssh -W" "ssh -F $sshcfg -W %h:%p mailgw"
	is "$(delivered vgok | wc -l)" 5 "under valgrind, a run over ssh -W: all 5 delivered"
	vg vgdenied 3 "ssh refused" "ssh -F $sshcfg -W %h:%p stranger"
else
	skip "under valgrind" "valgrind missing"
fi

# ---- bad values: FILE:LINE, exit 5 -------------------------------------------------------
badconf() {	# badconf NAME VALUE ERE DESC
	local f=$LAB_TMP/$1.conf
	printf '[fetch]\npassword_file = %s\n\nssh_command =%s\n' "$LAB_POP3_PASSFILE" "$2" >"$f"
	fetch "$f"
	is "$rc" 5 "$4: exit 5"
	like "$(cat "$LAB_TMP/err")" "^roam-fetch: $f:4: $3" "$4: one line naming FILE:LINE"
	is "$(wc -l <"$LAB_TMP/err")" 1 "$4: one line only"
}
badconf empty "" "empty value for 'ssh_command'" "empty ssh_command"
badconf quote " ssh -W %h:%p 'mail gw" "ssh_command \`ssh -W %h:%p 'mail gw': unbalanced ' quote" \
	"unbalanced quote"
badconf dquote ' ssh -o "ProxyCommand=x gw' 'ssh_command .*: unbalanced " quote' "unbalanced double quote"
badconf percent " ssh -W %h:%d gw" "ssh_command .*: \`%d' in \`%h:%d': only %h, %p and %% are known" \
	"an unknown % sequence"
badconf noname " '' -W %h:%p" "ssh_command .*: the command's name is empty" "an empty command name"

# ---- deadlines: a command that stalls is killed ---------------------------------------------
# it answers the banner, then nothing: the per-command deadline (timeout)
# ends the run, and the command with it
alive() { pgrep -f "$1" >/dev/null; }
gone() {	# gone PATTERN: polls up to 5 s
	local i
	for ((i = 0; i < 100; i++)); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}
fresh_server 1
c=$(conf stall "timeout=2" "ssh_command=sh -c 'printf \"+OK stalled\\\\r\\\\n\"; exec sleep 987'")
t0=${EPOCHREALTIME/,/.}
fetch "$c"
t1=${EPOCHREALTIME/,/.}
is "$rc" 7 "a command that stops answering: exit 7 (timeout)"
like "$(cat "$LAB_TMP/err")" "Timeout was reached" "a command that stops answering: the message says timeout"
ok "a command that stops answering: no process is left behind" gone "sleep 987"
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
ok "a command that stops answering: the run ended after ${secs} s (timeout 2 s, twice for the login)" \
	awk -v s="$secs" 'BEGIN { exit !(s < 10) }'
is "$(server_count)" 1 "a command that stops answering: the mail stays"

# roam-fetch killed with SIGKILL: its child dies with it (PR_SET_PDEATHSIG)
c=$(conf orphan "timeout=60" "ssh_command=sleep 988")
"$FETCH" -c "$c" 2>/dev/null &
fpid=$!
for ((i = 0; i < 100; i++)); do alive "sleep 988" && break; sleep 0.05; done
ok "a running command (sleep 988) is there" alive "sleep 988"
kill -9 "$fpid"
wait "$fpid" 2>/dev/null
ok "roam-fetch killed with SIGKILL: the command dies with it" gone "sleep 988"

done_testing
