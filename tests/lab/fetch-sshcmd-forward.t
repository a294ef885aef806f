#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch --forward with ssh_command: every client accepted gets a child of
# its own (`ssh -W`), a real ssh session to the lab's sshd and a real POP3
# session with dovecot. Three clients logged in at the same time each read
# every message byte for byte, while a fourth hangs up after the banner and a
# fifth dies in the middle of a RETR: those two children are reaped at once
# and the three go on. Afterwards no child and no descriptor is left. A
# child that dies while its client stays connected is reaped and logged at
# once. SIGTERM with a client still logged in ends the forward with status 0
# and its child with it. Under valgrind: no memory error, leak or fd left.
# A child ssh refuses is logged and the forward goes on.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }
client=$ROAM_TOP/tests/lab/fetch-pop3client.py
export LAB_POP3_USER LAB_POP3_PASS

# the user's ssh client configuration, handed over with -F
sshcfg=$LAB_TMP/ssh_config
ssh-keygen -q -t ed25519 -N '' -f "$LAB_TMP/id_stranger"
cat >"$sshcfg" <<EOF2
Host mailgw
	HostName 127.0.0.1
	Port $LAB_SSH_PORT
	User $LAB_SSH_USER
	IdentityFile $LAB_SSH_KEY
Host stranger
	HostName 127.0.0.1
	Port $LAB_SSH_PORT
	User $LAB_SSH_USER
	IdentityFile $LAB_TMP/id_stranger
Host *
	IdentitiesOnly yes
	UserKnownHostsFile $LAB_SSH_KNOWN_HOSTS
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	BatchMode yes
	ConnectTimeout 5
EOF2
chmod 600 "$sshcfg"

children() { ps -o pid= --ppid "$1" | wc -l; }
# polls up to 10 s until PID has N children (running or zombie)
children_are() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(children "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	ps -o pid,stat,args --ppid "$1" >&2
	return 1
}
# polls up to 60 s until every FILE exists
files_appear() {
	local i f missing
	for ((i = 0; i < 1200; i++)); do
		missing=
		for f; do [ -e "$f" ] || missing=$f; done
		[ -z "$missing" ] && return 0
		sleep 0.05
	done
	echo "missing: $missing" >&2
	return 1
}
accepted() { grep -c "Accepted publickey" "$LAB_SSHD_LOG"; }

port=$(lab_free_port)
c=$(conf fwd "ssh_command=ssh -F $sshcfg -W %h:%p mailgw")
"$FETCH" -c "$c" -vv --forward "$port" 2>"$LAB_TMP/fwd.err" &
fwd=$!
ok "--forward over ssh_command: answers with the POP3 server's banner" pop3_banner "$port"
ok "--forward over ssh_command: that client's child is reaped" children_are "$fwd" 0
fds0=$(ls "/proc/$fwd/fd" | wc -l)
acc0=$(accepted)

# ---- three sessions at once, two clients that misbehave meanwhile --------------------
# messages of 300 kB: each RETR takes many trips through the pipes
fresh_server 4 300000
cl=$LAB_TMP/cl
pids=()
for i in 1 2 3; do
	mkdir -p "$cl/$i"
	python3 "$client" session "$port" "$cl/$i" 2>"$cl/$i.err" &
	pids+=($!)
done
ok "3 clients logged in at the same time" files_appear "$cl/1/in" "$cl/2/in" "$cl/3/in"
is "$(children "$fwd")" 3 "3 clients at once: 3 ssh children running side by side"
is "$(($(accepted) - acc0))" 3 "3 clients at once: 3 ssh sessions accepted by the sshd"

mkdir -p "$cl/early" "$cl/cut"
timeout 60 python3 "$client" early "$port" "$cl/early" 2>"$cl/early.err" && rc=0 || rc=$?
is "$rc" 0 "a fourth client reads the banner and hangs up"
timeout 60 python3 "$client" cut "$port" "$cl/cut" 2>"$cl/cut.err" && rc=0 || rc=$?
is "$rc" 0 "a fifth client dies in the middle of RETR 1"
ok "the children of the two are reaped while the 3 stay logged in" children_are "$fwd" 3
ok "the 3 logged-in clients have not finished meanwhile" \
	test ! -e "$cl/1/done" -a ! -e "$cl/2/done" -a ! -e "$cl/3/done"

touch "$cl/go"
for i in 1 2 3; do
	wait "${pids[i - 1]}" && rc=0 || rc=$?
	is "$rc" 0 "client $i: its POP3 session ended well" || diag "$(cat "$cl/$i.err")"
	is "$(cat "$cl/$i/digests" 2>/dev/null)" "$(cat "$LAB_TMP/orig")" \
		"client $i: all 4 messages of 300 kB, byte for byte"
done
ok "afterwards: every child reaped, no zombie" children_are "$fwd" 0
is "$(ls "/proc/$fwd/fd" | wc -l)" "$fds0" "afterwards: as many fds open as before the clients"
is "$(grep -c 'ssh_command: started ssh' "$LAB_TMP/fwd.err")" 6 \
	"one child per client: 6 clients, 6 children started"
is "$(grep -c 'ssh_command (ssh) failed' "$LAB_TMP/fwd.err")" 0 \
	"no child was taken for failed (those cut short were ended by us)"
is "$(server_count)" 4 "the mail stays on the server (no client deleted)"

# ---- a child that dies while its client stays connected -----------------------------------
# (the laptop roamed, ssh's connection broke): reaped and logged at once, not
# when the client finally hangs up
mkdir -p "$LAB_TMP/cl3/1"
python3 "$client" session "$port" "$LAB_TMP/cl3/1" 2>/dev/null &
stay=$!
ok "a client logs in and stays" files_appear "$LAB_TMP/cl3/1/in"
child=$(ps -o pid= --ppid "$fwd" | tr -d ' ')
kill -KILL "${child:-0}"
ok "its child killed (SIGKILL): reaped while the client is still connected" children_are "$fwd" 0
ok "the client is still there" kill -0 "$stay"
for ((i = 0; i < 100; i++)); do grep -q 'killed by signal 9' "$LAB_TMP/fwd.err" && break; sleep 0.05; done
like "$(grep 'killed by signal' "$LAB_TMP/fwd.err")" "ssh_command \(ssh\) killed by signal 9" \
	"the child's end is logged at once"
kill "$stay"
wait "$stay" 2>/dev/null

# ---- SIGTERM with a client logged in ------------------------------------------------------
mkdir -p "$LAB_TMP/cl2/1"
python3 "$client" session "$port" "$LAB_TMP/cl2/1" 2>/dev/null &
held=$!
ok "a client logs in and waits" files_appear "$LAB_TMP/cl2/1/in"
child=$(ps -o pid= --ppid "$fwd" | tr -d ' ')
ok "its child runs (pid $child)" kill -0 "${child:-0}"
kill -TERM "$fwd"
wait "$fwd" && rc=0 || rc=$?
is "$rc" 0 "SIGTERM with a client logged in: status 0"
ok "SIGTERM with a client logged in: its child is gone" bash -c '! kill -0 "$1" 2>/dev/null' _ "${child:-0}"
kill "$held" 2>/dev/null
wait "$held" 2>/dev/null

# ---- under valgrind: two sessions and a cut one, then SIGTERM ----------------------------
sanitized=$(ldd "$FETCH" 2>/dev/null | grep -o libasan || true)
if [ -n "$sanitized" ]; then
	skip "under valgrind" "ASan build: it checks itself"
elif ! command -v valgrind >/dev/null; then
	skip "under valgrind" "valgrind missing"
else
	fresh_server 2 50000
	port=$(lab_free_port)
	c=$(conf fwdvg "ssh_command=ssh -F $sshcfg -W %h:%p mailgw")
	valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--track-fds=yes --log-file="$LAB_TMP/fwd.vg" "$FETCH" -c "$c" --forward "$port" \
		2>"$LAB_TMP/fwdvg.err" &
	fwd=$!
	ok "under valgrind: the forward answers" pop3_banner "$port"
	cv=$LAB_TMP/clvg
	pids=()
	for i in 1 2; do
		mkdir -p "$cv/$i"
		python3 "$client" session "$port" "$cv/$i" 2>"$cv/$i.err" &
		pids+=($!)
	done
	mkdir -p "$cv/cut"
	files_appear "$cv/1/in" "$cv/2/in" &&
		timeout 60 python3 "$client" cut "$port" "$cv/cut" 2>"$cv/cut.err"
	touch "$cv/go"
	for i in 1 2; do wait "${pids[i - 1]}"; done
	is "$(cat "$cv"/[12]/digests 2>/dev/null | sort)" "$(sort "$LAB_TMP/orig" "$LAB_TMP/orig")" \
		"under valgrind: both sessions read both messages byte for byte"
	ok "under valgrind: every child reaped" children_are "$fwd" 0
	kill -TERM "$fwd"
	wait "$fwd" && rc=0 || rc=$?
	is "$rc" 0 "under valgrind, SIGTERM: status 0, no memory error or definite leak"
	[ "$rc" = 0 ] || diag "$(head -c 3000 "$LAB_TMP/fwd.vg")"
	ok "under valgrind: it tracked the descriptors" grep -q 'FILE DESCRIPTORS: ' "$LAB_TMP/fwd.vg"
	# fds the harness gave it are listed as "<inherited from parent>"; one of
	# ours would come with its backtrace
	is "$(grep -A1 'Open file descriptor' "$LAB_TMP/fwd.vg" | grep -c 'Open file descriptor')" \
		"$(grep -A1 'Open file descriptor' "$LAB_TMP/fwd.vg" | grep -c '<inherited from parent>')" \
		"under valgrind, at exit: no fd of its own left open"
fi

# ---- a child that ssh refuses: logged, the forward goes on ------------------------------
port=$(lab_free_port)
c=$(conf fwdbad "ssh_command=ssh -F $sshcfg -W %h:%p stranger")
"$FETCH" -c "$c" -v --forward "$port" 2>"$LAB_TMP/fwdbad.err" &
fwd=$!
for ((i = 0; i < 100; i++)); do ss -Htln "sport = :$port" | grep -q . && break; sleep 0.05; done
curl -s -m 20 --user "$LAB_POP3_USER:$LAB_POP3_PASS" "pop3://127.0.0.1:$port/" >"$LAB_TMP/bad.out"
is "$(cat "$LAB_TMP/bad.out")" "" "a child refused by ssh: its client gets no byte"
ok "a child refused by ssh: it is reaped" children_are "$fwd" 0
for ((i = 0; i < 100; i++)); do grep -q ssh_command "$LAB_TMP/fwdbad.err" && break; sleep 0.05; done
like "$(grep ssh_command "$LAB_TMP/fwdbad.err")" \
	"^roam-fetch: ssh_command \(ssh\) failed with exit status 255: .*Permission denied" \
	"a child refused by ssh: its stderr's last line is logged"
ok "a child refused by ssh: the forward keeps running" kill -0 "$fwd"
kill -TERM "$fwd"
wait "$fwd" && rc=0 || rc=$?
is "$rc" 0 "the refusing forward: SIGTERM ends it with status 0"

done_testing
