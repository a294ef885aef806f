#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch protocol = imap against a real dovecot (imap) behind the real
# sshd on 127.0.0.1: fetch into a Maildir and an mbox byte for byte, removed
# by \Deleted + UID EXPUNGE; keep mode across runs (nothing twice); a
# UIDVALIDITY change (doveadm, then dovecot's index and uidlist deleted) with
# nothing delivered twice or lost; kill -9 trials into a Maildir and an mbox; a bad login (exit 3), a bad
# folder (exit 7, named), no IMAP server (exit 2), ssh_command as the
# transport, a server without UIDPLUS (EXPUNGE), the pop3_* aliases and their
# conflicts (exit 5).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init
TRIALS=${ROAM_FETCH_IMAP_TRIALS:-8}
MBOX_TRIALS=${ROAM_FETCH_IMAP_MBOX_TRIALS:-4}


# iconf NAME [KEY=VALUE…]: conf for IMAP (the pop3_host/pop3_user aliases
# stay, server_port is the neutral key)
iconf() {
	local name=$1
	shift
	conf "$name" protocol=imap pop3_port= server_port="$IMAP_PORT" "$@"
}

# same_as_orig DIR…: what DIRs hold is what the server held, each once
same_as_orig() {
	local got
	got=$(digests "$@") || return 1
	[ "$got" = "$(cat "$LAB_TMP/orig")" ] && return 0
	echo "delivered $(grep -c . <<<"$got") of $(wc -l <"$LAB_TMP/orig"), duplicates:" \
		"$(uniq -d <<<"$got" | wc -l)"
	return 1
}

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }
ok "dovecot speaks IMAP too" imap_start || { done_testing; exit; }

# ---- into a Maildir, removed from the server ------------------------------------
fresh_server 20
c=$(iconf md)
fetch "$c" -vv
is "$rc" 0 "IMAP into a Maildir: exit 0"
ok "IMAP into a Maildir: every message once, byte for byte (CRLF → LF)" \
	same_as_orig "$LAB_TMP/md/mail/new"
is "$(server_count)" 0 "IMAP delete mode: the server's folder is empty (\\Deleted + expunge)"
like "$(grep -c '> a[0-9]* UID STORE [0-9]* +FLAGS.SILENT (\\Deleted)' "$LAB_TMP/err") $(grep -c '> a[0-9]* UID EXPUNGE [0-9]' "$LAB_TMP/err")" \
	'^20 [1-9]' "dovecot has UIDPLUS: 20 UID STOREs of \\Deleted, then UID EXPUNGE"
like "$(grep -o '[0-9]* IMAP commands' "$LAB_TMP/err")" '^[0-9]+ IMAP commands$' \
	"the report counts IMAP commands"
fetch "$c"
is "$rc" 1 "IMAP: the next run finds no mail (exit 1)"
is "$(cat "$LAB_TMP/out" "$LAB_TMP/err")" "" "IMAP: silent when there is nothing"

# ---- into an mbox ----------------------------------------------------------------
fresh_server 7
c=$(iconf mbox deliver="mbox:$LAB_TMP/mbox/inbox")
fetch "$c"
is "$rc" 0 "IMAP into an mbox: exit 0"
mbox_split "$LAB_TMP/mbox/inbox" "$LAB_TMP/mbox/split"
ok "IMAP into an mbox: every message once, as the server had it" \
	same_as_orig "$LAB_TMP/mbox/split"
is "$(server_count)" 0 "IMAP into an mbox: the server's folder is empty"

# ---- keep mode across runs, then UIDVALIDITY changes -----------------------------
fresh_server 10
c=$(iconf keep keep=yes)
fetch "$c"
is "$rc" 0 "keep: the first run delivers (exit 0)"
ok "keep: the first run delivers each message once" same_as_orig "$LAB_TMP/keep/mail/new"
is "$(server_count)" 10 "keep: the messages stay on the server"
fetch "$c"
is "$rc" 1 "keep: the second run delivers nothing (exit 1)"
is "$(find "$LAB_MAILDIR/cur" "$LAB_MAILDIR/new" -type f -name '*:2,*S*' | wc -l)" 0 \
	"keep: no message got \\Seen (EXAMINE, BODY.PEEK)"
fetch "$c" --check
account="imap:INBOX:$LAB_POP3_USER@$LAB_POP3_HOST:$IMAP_PORT via $LAB_SSH_USER@$LAB_SSH_HOST:$LAB_SSH_PORT"
is "$rc.$(cat "$LAB_TMP/out")" "1.10 messages (0 new, 0 octets) for $account" \
	"keep: --check counts 10 messages, none new (exit 1)"
lab_fill_mailbox 3 && server_digests >"$LAB_TMP/orig"
fetch "$c"
is "$rc" 0 "keep: 3 new messages: exit 0"
ok "keep: the third run delivers only the 3 new ones (13, each once)" \
	same_as_orig "$LAB_TMP/keep/mail/new"

uv_of() { doveadm -c "$LAB_DOVECOT_CONFIG" -f flow mailbox status -u "$LAB_POP3_USER" uidvalidity INBOX | sed 's/.*uidvalidity=//'; }
uv0=$(uv_of)
doveadm -c "$LAB_DOVECOT_CONFIG" mailbox update -u "$LAB_POP3_USER" --uid-validity $((uv0 + 7)) INBOX
is "$(uv_of)" "$((uv0 + 7))" "doveadm gave INBOX a new UIDVALIDITY ($uv0 → $((uv0 + 7)))"
fetch "$c" -v
is "$rc" 1 "UIDVALIDITY changed: nothing delivered again (exit 1)"
like "$(cat "$LAB_TMP/err")" "renumbered its messages \\(imap-uidvalidity.$((uv0 + 7))\\): 13 found delivered before by Message-ID and size" \
	"UIDVALIDITY changed: the run says 13 were matched by Message-ID and size"
ok "UIDVALIDITY changed: still 13 messages, each once" same_as_orig "$LAB_TMP/keep/mail/new"
fetch "$c" -v
is "$rc.$(grep -c renumbered "$LAB_TMP/err")" "1.0" \
	"the run after: the new UIDVALIDITY is the record's (no matching any more)"

# the hard way: dovecot forgets its UIDs (index and uidlist gone), renumbers
# from 1 under a new UIDVALIDITY, while 2 new messages arrive
lab_dovecot_stop
rm -f "$LAB_MAILDIR"/dovecot-uidlist "$LAB_MAILDIR"/dovecot.index* "$LAB_MAILDIR"/dovecot-uidvalidity*
lab_dovecot_start
lab_fill_mailbox 2 && server_digests >"$LAB_TMP/orig"
fetch "$c" -v
is "$rc" 0 "dovecot's UIDs rebuilt + 2 new messages: exit 0"
ok "dovecot's UIDs rebuilt: only the 2 new ones delivered (15, each once)" \
	same_as_orig "$LAB_TMP/keep/mail/new"
like "$(cat "$LAB_TMP/err")" "renumbered its messages .*: 13 found delivered before" \
	"dovecot's UIDs rebuilt: the 13 old ones were matched"
# delete mode after the change: the matched ones are removed, not delivered
c2=$(conf keep protocol=imap pop3_port= server_port="$IMAP_PORT" keep=no)
fetch "$c2"
is "$rc" 1 "delete mode after that: nothing delivered (exit 1)"
is "$(server_count)" 0 "delete mode after that: the 15 delivered ones are removed"
ok "delete mode after that: still 15, each once" same_as_orig "$LAB_TMP/keep/mail/new"

# ---- kill -9 at random moments -------------------------------------------------
# trial N: 200 messages; roam-fetch killed with SIGKILL up to 3 times, each
# time once a message is being written (tmp/ has a file) and a random moment
# later, then a run to the end: every message once, the server empty.
# $LAB_TMP/midrun counts the kills that hit a run with mail still to move.
# kill_runs CONF WAIT WHERE: up to 3 runs, each killed with SIGKILL once
# `WAIT WHERE PID` says a message is being written, and a random moment later
kill_runs() {
	local c=$1 k pid
	for k in 1 2 3; do
		"$FETCH" -c "$c" 2>/dev/null &
		pid=$!
		"$2" "$3" "$pid" && sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null && [ "$(server_count)" -gt 0 ] && echo >>"$LAB_TMP/midrun"
		wait "$pid" 2>/dev/null
		[ "$(server_count)" -gt 0 ] || break
	done
}
kill_trial() {
	local name=kill$1 c
	fresh_server 200 8000 || return 1
	c=$(iconf "$name")
	kill_runs "$c" wait_in_flight "$LAB_TMP/$name/mail"
	fetch "$c"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "final run: exit $rc"; return 1; }
	same_as_orig "$LAB_TMP/$name/mail/new" || return 1
	[ "$(server_count)" = 0 ] || { echo "$(server_count) left on the server"; return 1; }
}
: >"$LAB_TMP/midrun"
for ((i = 1; i <= TRIALS; i++)); do
	ok "kill -9 trial $i: every message delivered exactly once, server emptied" kill_trial "$i"
done
# the same into an mbox (a batch holds it locked; the keys are marker lines):
# killed while the mbox grows, then a run to the end
mbox_trial() {
	local name=mbox$1 c mb
	fresh_server 200 8000 || return 1
	mb=$LAB_TMP/$name/inbox
	c=$(iconf "$name" deliver="mbox:$mb")
	kill_runs "$c" wait_mbox "$mb"
	fetch "$c"
	[ "$rc" = 0 ] || [ "$rc" = 1 ] || { echo "final run: exit $rc"; return 1; }
	mbox_split "$mb" "$LAB_TMP/$name/split"
	same_as_orig "$LAB_TMP/$name/split" || return 1
	[ "$(server_count)" = 0 ] || { echo "$(server_count) left on the server"; return 1; }
}
for ((i = 1; i <= MBOX_TRIALS; i++)); do
	ok "mbox kill -9 trial $i: every message delivered exactly once, server emptied" mbox_trial "$i"
done
midrun=$(wc -l <"$LAB_TMP/midrun")
all=$((3 * (TRIALS + MBOX_TRIALS)))
note "$midrun kills of $all hit a run with mail still on the server"
ok "most kills hit a run mid-way ($midrun of up to $all)" [ "$midrun" -ge $((TRIALS + MBOX_TRIALS)) ]

# ---- the other transport: ssh_command (OpenSSH's ssh -W) ---------------------------
sshcfg=$LAB_TMP/ssh_config
cat >"$sshcfg" <<EOF2
Host mailgw
	HostName $LAB_SSH_HOST
	Port $LAB_SSH_PORT
	User $LAB_SSH_USER
	IdentityFile $LAB_SSH_KEY
	IdentitiesOnly yes
	UserKnownHostsFile $LAB_SSH_KNOWN_HOSTS
	GlobalKnownHostsFile /dev/null
	StrictHostKeyChecking yes
	BatchMode yes
EOF2
chmod 600 "$sshcfg"
fresh_server 5
c=$(iconf cmd "ssh_command=ssh -F $sshcfg -W %h:%p mailgw" ssh_host=)
fetch "$c"
is "$rc" 0 "IMAP through ssh_command: exit 0"
ok "IMAP through ssh_command: every message once" same_as_orig "$LAB_TMP/cmd/mail/new"
is "$(server_count)" 0 "IMAP through ssh_command: removed from the server"

# ---- errors, each with its exit status -------------------------------------------
fresh_server 2
echo wrong-password >"$LAB_TMP/wrong.pass"
chmod 0600 "$LAB_TMP/wrong.pass"
c=$(iconf badpass password_file="$LAB_TMP/wrong.pass")
fetch "$c"
is "$rc" 3 "a wrong IMAP password: exit 3 (authentication)"
like "$(cat "$LAB_TMP/err")" "IMAP LOGIN: refused \\(server: a1 NO" "a wrong password: the server's NO is quoted"
is "$(server_count)" 2 "a wrong password: the mail stays"

c=$(iconf badfolder folder=NoSuchFolder)
fetch "$c"
is "$rc" 7 "a folder the server does not have: exit 7 (server error)"
like "$(cat "$LAB_TMP/err")" "IMAP SELECT: folder \`NoSuchFolder' refused \\(server: a[0-9]+ NO" \
	"a bad folder: one clear line naming the folder"
is "$(wc -l <"$LAB_TMP/err")" 1 "a bad folder: one line"

# nothing listens on the IMAP port the ssh server is asked for
c=$(iconf down server_port="$(lab_free_port)")
fetch "$c"
is "$rc" 2 "no IMAP server behind the ssh server: exit 2 (connection)"
is "$(server_count)" 2 "no IMAP server: the mail stays"

c=$(iconf badproto protocol=smtp)
fetch "$c"
is "$rc" 5 "protocol = smtp: exit 5 (configuration)"
like "$(cat "$LAB_TMP/err")" "roam.conf:[0-9]+:.*protocol" "protocol = smtp: the error names FILE:LINE"

c=$(conf both protocol=imap server_port="$IMAP_PORT")
fetch "$c"
is "$rc" 5 "pop3_port and server_port both set: exit 5"
like "$(cat "$LAB_TMP/err")" "roam.conf:[0-9]+: pop3_port is an alias of server_port \\(.*roam.conf:[0-9]+\\): keep one" \
	"both set: the error names both lines"

c=$(conf neutral protocol=imap pop3_port= pop3_host= pop3_user= server_port="$IMAP_PORT" \
	server_host="$LAB_POP3_HOST" server_user="$LAB_POP3_USER")
fetch "$c"
is "$rc" 0 "the neutral keys alone (server_host, server_port, server_user): exit 0"
is "$(server_count)" 0 "the neutral keys alone: the mail is fetched"

# ---- under valgrind: no errors, no leaks (keep mode, then deleting) ---------------------
sanitized=$(ldd "$FETCH" 2>/dev/null | grep -o libasan || true)
if [ -n "$sanitized" ]; then
	skip "IMAP under valgrind" "ASan build: it checks itself"
	skip "IMAP under valgrind" "ASan build: it checks itself"
elif command -v valgrind >/dev/null; then
	fresh_server 12
	vg() {
		timeout 300 valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite --track-fds=no "$FETCH" "$@" \
			>"$LAB_TMP/vg.out" 2>"$LAB_TMP/vg.err" && rc=0 || rc=$?
		[ "$rc" = 0 ] || diag "$(head -c 3000 "$LAB_TMP/vg.err")"
	}
	vg -c "$(iconf vg keep=yes)"
	is "$rc" 0 "IMAP under valgrind, keep mode: exit 0, no memory errors or leaks"
	vg -c "$(iconf vg keep=no)"
	is "$rc.$(server_count)" "1.0" "IMAP under valgrind, deleting: exit 1 (none new), clean, folder emptied"
else
	skip "IMAP under valgrind" "valgrind missing"
	skip "IMAP under valgrind" "valgrind missing"
fi

# ---- a server without UIDPLUS: EXPUNGE ----------------------------------------------
# dovecot told to announce no UIDPLUS after the login (imap_capability)
echo "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+" \
	>>"$LAB_DOVECOT_CONFIG"
lab_dovecot_stop && lab_dovecot_start
fresh_server 4
c=$(iconf nouidplus)
fetch "$c" -vv
is "$rc" 0 "no UIDPLUS: exit 0"
is "$(grep -c '> a[0-9]* EXPUNGE$' "$LAB_TMP/err").$(grep -c 'UID EXPUNGE' "$LAB_TMP/err")" "1.0" \
	"no UIDPLUS: one plain EXPUNGE, no UID EXPUNGE"
is "$(server_count)" 0 "no UIDPLUS: the folder is empty"
ok "no UIDPLUS: every message once" same_as_orig "$LAB_TMP/nouidplus/mail/new"

done_testing
