#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch against a real sshd and a real dovecot on 127.0.0.1: 0, 1 and
# 1000 messages delivered once each and removed from the server, byte for byte
# (dot-stuffed lines, CRLF → LF); a 20 MB message in small memory; keep mode;
# --check; the ssh connection killed mid-run; a second instance; wrong
# password, refused password file, failing MDA, POP3 server down, bad config —
# each with its documented exit status; silence on success.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init
# an ASan build (make SANITIZE=1) checks memory itself and cannot run under valgrind
sanitized=$(ldd "$FETCH" 2>/dev/null | grep -o libasan || true)

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }

# ---- 0 messages ---------------------------------------------------------------
fresh_server 0
c=$(conf zero)
fetch "$c"
is "$rc" 1 "0 messages: exit 1 (no mail)"
is "$(cat "$LAB_TMP/out" "$LAB_TMP/err")" "" "0 messages: silent"

# ---- 1 message, content byte for byte ------------------------------------------
fresh_server 1
c=$(conf one)
fetch "$c"
is "$rc" 0 "1 message: exit 0"
is "$(cat "$LAB_TMP/out" "$LAB_TMP/err")" "" "1 message: silent on success"
is "$(delivered one)" "$(cat "$LAB_TMP/orig")" \
	"1 message: delivered byte for byte (dot lines unstuffed once, CRLF → LF)"
is "$(server_count)" 0 "1 message: removed from the server"
fetch "$c"
is "$rc" 1 "1 message: the next run finds no mail"

# ---- dot-stuffing edge cases: first line, lone dots, a last line without newline ------
fresh_server 0
printf '.starts with a dot\nSubject: dots\n\n.\n..\n...\n. \n.x\n\n.last line without newline' \
	>"$LAB_MAILDIR/tmp/dots"
chown "$LAB_MAIL_USER:$LAB_MAIL_GROUP" "$LAB_MAILDIR/tmp/dots"
mv "$LAB_MAILDIR/tmp/dots" "$LAB_MAILDIR/new/1.M1P1.dots"
server_digests >"$LAB_TMP/orig"
c=$(conf dots)
fetch "$c"
is "$rc" 0 "dot edge cases: exit 0"
f=$(find "$LAB_TMP/dots/mail/new" -type f | head -n 1)
# dovecot ends the last line with CRLF on the wire, so the copy ends with a newline
is "$(od -An -c "$f" | tr -s ' ')" \
	"$(printf '.starts with a dot\nSubject: dots\n\n.\n..\n...\n. \n.x\n\n.last line without newline\n' |
		od -An -c | tr -s ' ')" \
	"dot edge cases: every dot line exactly once unstuffed, first line included (libcurl 7.88 + dovecot 2.3 repair)"

# ---- 1000 messages --------------------------------------------------------------
fresh_server 1000
c=$(conf many)
logins=$(grep -c 'Logged out' "$LAB_DOVECOT_LOG")
t0=${EPOCHREALTIME/,/.}
fetch "$c" -v
t1=${EPOCHREALTIME/,/.}
is "$(grep -c 'Logged out' "$LAB_DOVECOT_LOG")" $((logins + 1)) \
	"1000 messages: one POP3 session (one login) for the whole run"
like "$(grep 'Logged out' "$LAB_DOVECOT_LOG" | tail -n 1)" "retr=1000/.*del=1000/" \
	"1000 messages: that session retrieved and deleted all 1000"
is "$rc" 0 "1000 messages: exit 0"
is "$(delivered many)" "$(cat "$LAB_TMP/orig")" "1000 messages: each delivered exactly once"
is "$(server_count)" 0 "1000 messages: all removed from the server"
note "1000 messages: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }') wall;" \
	"$(grep -o '[0-9]* POP3 commands' "$LAB_TMP/err")"

# ---- a 20 MB message in constant memory -----------------------------------------
fresh_server 1 $((20 * 1024 * 1024))
c=$(conf big)
/usr/bin/time -f %M -o "$LAB_TMP/rss" timeout 300 "$FETCH" -c "$c" 2>"$LAB_TMP/err" && rc=0 || rc=$?
is "$rc" 0 "20 MB message: exit 0"
is "$(delivered big)" "$(cat "$LAB_TMP/orig")" "20 MB message: delivered intact"
rss=$(tail -n 1 "$LAB_TMP/rss")
note "20 MB message: peak RSS ${rss} KiB"
if [ -n "$sanitized" ]; then
	skip "20 MB message: peak RSS stays under 16 MiB" "ASan build (shadow memory)"
else
	ok "20 MB message: peak RSS ${rss} KiB stays under 16 MiB" test "$rss" -lt 16384
fi

# ---- keep mode twice, then a normal run -----------------------------------------
fresh_server 5
c=$(conf keep)
fetch "$c" -k
is "$rc" 0 "keep: first run exit 0"
is "$(delivered keep)" "$(cat "$LAB_TMP/orig")" "keep: first run delivers all 5"
is "$(server_count)" 5 "keep: the server still holds all 5"
fetch "$c" --keep
is "$rc" 1 "keep: second run exit 1 (nothing new)"
is "$(delivered keep | wc -l)" 5 "keep: second run delivers nothing again"
fetch "$c"
is "$rc" 1 "keep then normal run: recorded messages deleted, not delivered again (exit 1)"
is "$(delivered keep | wc -l)" 5 "keep then normal run: still 5 delivered"
is "$(server_count)" 0 "keep then normal run: the server is empty"

# ---- --check ----------------------------------------------------------------------
fresh_server 3
c=$(conf check)
fetch "$c" --check
is "$rc" 0 "--check with new mail: exit 0"
like "$(cat "$LAB_TMP/out")" "^3 messages \(3 new, [0-9]+ octets\)" "--check prints the count"
is "$(server_count)" 3 "--check leaves the server alone"
is "$(delivered check | wc -l)" 0 "--check delivers nothing"
fetch "$c" -k
fetch "$c" --check
is "$rc" 1 "--check after a keep run: exit 1 (nothing new)"
like "$(cat "$LAB_TMP/out")" "^3 messages \(0 new" "--check counts delivered ones as not new"

# ---- mbox and MDA targets -------------------------------------------------------
fresh_server 3
c=$(conf mbox "deliver=mbox:$LAB_TMP/mbox/inbox")
fetch "$c"
is "$rc" 0 "mbox: exit 0"
is "$(grep -c '^From sender@example.net ' "$LAB_TMP/mbox/inbox" 2>/dev/null)" 3 \
	"mbox: 3 messages, each with its From_ line"
# an mbox shared with the laptop's own local mail: while roam-fetch delivers 300
# messages, a real procmail keeps delivering into the same mbox (its dot lock
# and its kernel lock). Each batch of ours holds both locks from its first
# byte to its fsync, so neither writes into the other's messages; procmail
# waits (LOCKSLEEP) while a batch holds them. The note shows the order.
fresh_server 300
mb=$LAB_TMP/shared/inbox
mkdir -p "$LAB_TMP/shared"
printf 'SHELL=/bin/sh\nLOCKSLEEP=1\n:0:\n%s\n' "$mb" >"$LAB_TMP/shared/procmailrc"
c=$(conf shared "deliver=mbox:$mb")
"$FETCH" -c "$c" 2>"$LAB_TMP/shared/err" &
fpid=$!
locals=0
while kill -0 "$fpid" 2>/dev/null || [ "$locals" -lt 3 ]; do
	locals=$((locals + 1))
	printf 'From: me@example.org\nSubject: local %d\nMessage-ID: <local-%d@example.org>\n\nhi %d\n' \
		"$locals" "$locals" "$locals" |
		procmail -f me@example.org -m "$LAB_TMP/shared/procmailrc" ||
		echo "procmail $locals: exit $?" >>"$LAB_TMP/shared/err"
done
wait "$fpid"
is "$?" 0 "shared mbox: roam-fetch exits 0 while procmail delivers $locals local messages"
is "$(cat "$LAB_TMP/shared/err")" "" "shared mbox: no error from either"
mbox_split "$mb" "$LAB_TMP/shared/split"
digests "$LAB_TMP/shared/split" >"$LAB_TMP/shared/got"
is "$(comm -23 "$LAB_TMP/orig" "$LAB_TMP/shared/got" | wc -l) $(uniq -d "$LAB_TMP/shared/got" | wc -l)" \
	"0 0" "shared mbox: every fetched message whole, none twice"
is "$(comm -13 "$LAB_TMP/orig" "$LAB_TMP/shared/got" | wc -l)" "$locals" \
	"shared mbox: the rest are the $locals local messages"
is "$(grep -c '^Message-ID: <local-' "$mb") $(grep '^Message-ID: <local-' "$mb" | sort -u | wc -l)" \
	"$locals $locals" "shared mbox: each local message once"
is "$(grep -c '^X-Roam-Key: ' "$mb")" 300 "shared mbox: each fetched message carries its key"
note "shared mbox, From_ lines in order (me = local, se = fetched):" \
	"$(grep '^From ' "$mb" | cut -c6-7 | uniq -c | tr -s ' \n' ' ')"

fresh_server 2
mkdir -p "$LAB_TMP/mdaout"
c=$(conf mda "deliver=mda:cat >\$(mktemp $LAB_TMP/mdaout/msg.XXXXXX)")
fetch "$c"
is "$rc" 0 "MDA: exit 0"
is "$(digests "$LAB_TMP/mdaout")" "$(cat "$LAB_TMP/orig")" "MDA: each message on its stdin, once"

# ---- a failing MDA: exit 10, mail stays --------------------------------------------
fresh_server 2
c=$(conf mdafail "deliver=mda:cat >/dev/null; exit 75")
fetch "$c"
is "$rc" 10 "failing MDA: exit 10"
is "$(server_count)" 2 "failing MDA: the messages stay on the server"

# ---- ssh killed mid-run ------------------------------------------------------------
# The MDA kills the sshd process serving us while it delivers message 120:
# no timing involved. What was delivered is recorded; the rest stays.
fresh_server 300
mkdir -p "$LAB_TMP/kill"
cat >"$LAB_TMP/kill/mda" <<EOF2
#!/bin/sh
n=\$(( \$(cat $LAB_TMP/kill/count 2>/dev/null || echo 0) + 1 ))
echo \$n >$LAB_TMP/kill/count
cat >$LAB_TMP/kill/tmp.\$n && mv $LAB_TMP/kill/tmp.\$n $LAB_TMP/kill/mail/new/msg.\$n || exit 1
if [ \$n = 120 ]; then
	# the per-connection sshd processes: children and grandchildren of the listener
	kids=\$(ps -o pid= --ppid $LAB_SSHD_PID)
	for p in \$kids; do kill -9 \$p \$(ps -o pid= --ppid \$p); done
fi
exit 0
EOF2
chmod +x "$LAB_TMP/kill/mda"
mkdir -p "$LAB_TMP/kill/mail/new"
# exec: the script is the MDA process itself, so an aborted delivery kills it
# before it can file a partial message
c=$(conf kill "deliver=mda:exec $LAB_TMP/kill/mda")
fetch "$c"
is "$rc" 2 "ssh killed mid-run: exit 2"
first=$(delivered kill | wc -l)
ok "ssh killed mid-run: stopped early ($first delivered)" test "$first" -ge 120 -a "$first" -lt 300
ok "ssh killed mid-run: undelivered messages stay on the server" \
	test "$(server_count)" -ge $((300 - first))
fetch "$c"
is "$rc" 0 "ssh killed mid-run: the next run exits 0"
is "$(delivered kill)" "$(cat "$LAB_TMP/orig")" "ssh killed mid-run: all 300 delivered, none twice" ||
	diag "first run: $first; now $(delivered kill | uniq -d | wc -l) duplicated," \
		"$(comm -23 "$LAB_TMP/orig" <(delivered kill) | wc -l) missing"
is "$(server_count)" 0 "ssh killed mid-run: the server is empty after the next run"

# ---- ssh killed in the middle of a message ---------------------------------------------
# Message 2 of 3 is 20 MB. Message 1 is proven whole, and handed to its MDA, when
# the first bytes of message 2 arrive (run.c); that MDA kills the sshd processes
# before it delivers: RETR 2 breaks in the middle (20 MB is more than ssh's
# window and the socket buffers hold). Message 1 is delivered and recorded,
# message 2 is not delivered at all (no partial copy), 2 and 3 stay.
fresh_server 1
lab_fill_mailbox 1 $((20 * 1024 * 1024))
lab_fill_mailbox 1
server_digests >"$LAB_TMP/orig"
mkdir -p "$LAB_TMP/mid/mail/new"
cat >"$LAB_TMP/mid/mda" <<EOF2
#!/bin/bash
n=\$(( \$(cat $LAB_TMP/mid/count 2>/dev/null || echo 0) + 1 ))
echo \$n >$LAB_TMP/mid/count
if [ ! -e $LAB_TMP/mid/killed ]; then
	touch $LAB_TMP/mid/killed
	kids=\$(ps -o pid= --ppid $LAB_SSHD_PID)
	for p in \$kids; do kill -9 \$p \$(ps -o pid= --ppid \$p); done
fi
cat >$LAB_TMP/mid/tmp.\$n && mv $LAB_TMP/mid/tmp.\$n $LAB_TMP/mid/mail/new/msg.\$n
EOF2
chmod +x "$LAB_TMP/mid/mda"
c=$(conf mid "deliver=mda:exec $LAB_TMP/mid/mda")
fetch "$c"
is "$rc" 2 "ssh killed mid-message: exit 2"
is "$(delivered mid | wc -l)" 1 "ssh killed mid-message: only the message before it is delivered"
is "$(server_count)" 3 "ssh killed mid-message: the server still has all 3 (no QUIT)"
fetch "$c"
is "$rc" 0 "ssh killed mid-message: the next run exits 0"
is "$(delivered mid)" "$(cat "$LAB_TMP/orig")" "ssh killed mid-message: all 3 delivered once, intact"

# ---- a second instance: exit 8 ---------------------------------------------------------
fresh_server 1
mkdir -p "$LAB_TMP/lock"
c=$(conf lock "deliver=mda:touch $LAB_TMP/lock/in; while [ ! -e $LAB_TMP/lock/go ]; do sleep 0.05; done; cat >/dev/null")
timeout 120 "$FETCH" -c "$c" 2>/dev/null &
first_pid=$!
i=0
while [ ! -e "$LAB_TMP/lock/in" ] && [ $((i += 1)) -lt 1200 ]; do sleep 0.05; done
fetch "$c"
is "$rc" 8 "second instance while the first delivers: exit 8"
touch "$LAB_TMP/lock/go"
wait "$first_pid" && rc=0 || rc=$?
is "$rc" 0 "the first instance finishes with exit 0"

# ---- wrong password, bad password file, no password --------------------------------
fresh_server 1
(umask 077; echo wrong-password >"$LAB_TMP/badpass")
c=$(conf badpw "password_file=$LAB_TMP/badpass")
fetch "$c"
is "$rc" 3 "wrong POP3 password: exit 3"
is "$(server_count)" 1 "wrong POP3 password: the message stays"
cp "$LAB_POP3_PASSFILE" "$LAB_TMP/openpass" && chmod 0644 "$LAB_TMP/openpass"
c=$(conf openpw "password_file=$LAB_TMP/openpass")
fetch "$c"
is "$rc" 6 "password file readable by others: exit 6"
like "$(cat "$LAB_TMP/err")" "chmod 600" "password file readable by others: says how to fix it"
# a state_dir someone else pre-created could hold a planted UIDL record
mkdir -p "$LAB_TMP/planted/state"
chown nobody:nogroup "$LAB_TMP/planted/state"
printf 'roam-fetch uidl 2\n' >"$LAB_TMP/planted/state/planted.uidl"
c=$(conf planted)
fetch "$c"
is "$rc" 6 "state_dir owned by another user: exit 6"
like "$(cat "$LAB_TMP/err")" "planted/state.*owned by uid $(id -u nobody)" \
	"state_dir owned by another user: names it and its owner"
is "$(server_count)" 1 "state_dir owned by another user: the message stays"
c=$(conf pwcmd "password_command=cat $LAB_POP3_PASSFILE")
fetch "$c"
is "$rc" 0 "password_command: exit 0"
c=$(conf pwcmdfail "password_command=exit 1")
fetch "$c"
is "$rc" 3 "failing password_command: exit 3"

# ---- ssh authentication refused: exit 3 -------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$LAB_TMP/stranger_key"
c=$(conf sshauth "identity=$LAB_TMP/stranger_key")
fetch "$c"
is "$rc" 3 "ssh key not authorized: exit 3"

# ---- under valgrind: no errors, no leaks ---------------------------------------------
if [ -n "$sanitized" ]; then
	skip "under valgrind" "ASan build: it checks itself"
elif command -v valgrind >/dev/null; then
	fresh_server 20
	c=$(conf vg)
	timeout 300 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--track-fds=no "$FETCH" -c "$c" >"$LAB_TMP/vg.out" 2>"$LAB_TMP/vg.err" && rc=0 || rc=$?
	is "$rc" 0 "under valgrind: exit 0, no memory errors or leaks"
	[ "$rc" = 0 ] || diag "$(head -c 3000 "$LAB_TMP/vg.err")"
	is "$(delivered vg)" "$(cat "$LAB_TMP/orig")" "under valgrind: all 20 delivered"
else
	skip "under valgrind" "valgrind missing"
fi


# ---- POP3 server down: exit 2 ---------------------------------------------------------
lab_dovecot_stop
c=$(conf down)
fetch "$c"
is "$rc" 2 "POP3 server down: exit 2"
like "$(cat "$LAB_TMP/err")" "cannot reach 127.0.0.1 port $LAB_POP3_PORT" "POP3 server down: says so"
ok "dovecot starts again" lab_dovecot_start

# ---- ssh server down: exit 2 ------------------------------------------------------------
c=$(conf nossh "ssh_port=$(lab_free_port)")
fetch "$c"
is "$rc" 2 "no ssh server: exit 2"

# ---- a POP3 server that stalls, one that refuses, one that talks nonsense ------------
# Faults dovecot cannot produce on demand: nc plays the server behind sshd,
# with a scripted dialog through two FIFOs.
mkfifo "$LAB_TMP/fake.in" "$LAB_TMP/fake.out"
fake_pop3() {	# fake_pop3 SCRIPT-FUNCTION: one connection served by it
	fake_port=$(lab_free_port)
	# <>: opening a FIFO read-write never blocks, so neither side waits for the other
	nc -l 127.0.0.1 "$fake_port" <>"$LAB_TMP/fake.out" >"$LAB_TMP/fake.in" &
	fake_nc=$!
	"$1" <>"$LAB_TMP/fake.in" >"$LAB_TMP/fake.out" &
	fake_script=$!
	i=0
	while [ "$(ss -Htln "sport = :$fake_port" | wc -l)" = 0 ] && [ $((i += 1)) -lt 200 ]; do
		sleep 0.02
	done
}
fake_stop() { kill "$fake_nc" "$fake_script" 2>/dev/null; wait "$fake_nc" "$fake_script" 2>/dev/null; }
silent() { exec sleep 60; }
refusing() { printf -- '-ERR [SYS/TEMP] go away\r\n'; exec sleep 60; }
bad_uidl() {
	local line
	printf '+OK fake ready\r\n'
	while IFS= read -r line; do
		case ${line%$'\r'} in
		CAPA) printf -- '-ERR no capabilities\r\n' ;;
		USER*|PASS*) printf '+OK\r\n' ;;
		UIDL) printf '+OK\r\nthis is not a UIDL line\r\n.\r\n' ;;
		QUIT) printf '+OK bye\r\n'; break ;;
		*) printf -- '-ERR what?\r\n' ;;
		esac
	done
}
in_use() {
	local line
	printf '+OK fake ready\r\n'
	while IFS= read -r line; do
		case ${line%$'\r'} in
		CAPA) printf -- '-ERR no capabilities\r\n' ;;
		USER*) printf '+OK\r\n' ;;
		PASS*) printf -- '-ERR [IN-USE] Mailbox is locked by another session\r\n' ;;
		*) printf -- '-ERR what?\r\n' ;;
		esac
	done
}
fake_pop3 silent
c=$(conf stall "pop3_port=$fake_port" "timeout=2")
fetch "$c"
is "$rc" 7 "POP3 server silent for longer than timeout: exit 7"
fake_stop
fake_pop3 refusing
c=$(conf errbanner "pop3_port=$fake_port" "timeout=2")
fetch "$c"
is "$rc" 7 "POP3 server answers -ERR: exit 7"
like "$(cat "$LAB_TMP/err")" "go away" "POP3 server answers -ERR: its words are shown"
fake_stop
fake_pop3 in_use
c=$(conf inuse "pop3_port=$fake_port" "timeout=5")
fetch "$c"
is "$rc" 8 "POP3 mailbox in use by another client ([IN-USE]): exit 8"
fake_stop
fake_pop3 bad_uidl
c=$(conf garbage "pop3_port=$fake_port" "timeout=5")
fetch "$c"
is "$rc" 4 "a malformed UIDL listing: exit 4 (protocol error)"
like "$(cat "$LAB_TMP/err")" "malformed" "a malformed UIDL listing: says so"
fake_stop

# ---- configuration and usage errors: exit 5 -------------------------------------------------
c=$(conf badkey "pasword=x")
fetch "$c"
is "$rc" 5 "unknown key: exit 5"
like "$(cat "$LAB_TMP/err")" "roam.conf:[0-9]+: unknown key 'pasword'" "unknown key: names file and line"
fetch "$c" --bogus
is "$rc" 5 "unknown option: exit 5"

done_testing
