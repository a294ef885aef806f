#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch protocol = imap against an IMAP server that breaks the rules
# (tests/lab/fetch-fakeimap.py, behind the lab's real sshd), for faults no real
# server produces on demand: a message gone between listing and fetch (skipped,
# the run goes on), a body literal cut short (exit 2, the message not
# delivered, then fetched once by the next run), a body labelled with another
# UID and an endless reply line (exit 4), no UIDVALIDITY (exit 4), a dripped
# body (exit 7 within its deadline), a body over max_message_size (exit 4).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

FAKE=$LAB_TMP/fake
mkdir -p "$FAKE/box"
LAB_POP3_HOST=127.0.0.1
LAB_POP3_USER=alice
LAB_POP3_PASSFILE=$LAB_TMP/pass
LAB_POP3_PORT=unused	# conf() wants one; iconf drops it
(umask 077 && echo secret >"$LAB_POP3_PASSFILE")


# box N [BYTES]: a fresh folder of N messages (UIDs 1..N) with CRLF lines;
# their LF forms' digests in $LAB_TMP/orig
box() {
	local i n=$1 bytes=${2:-600}
	rm -rf "$FAKE"/box/* "$FAKE/log" "$FAKE"/{cut,wrong-uid,long-line,no-uidvalidity,drip,gone} "$LAB_TMP/lf"
	mkdir -p "$LAB_TMP/lf"
	for ((i = 1; i <= n; i++)); do
		{
			printf 'From: a@example.net\nMessage-ID: <fake-%d@example.net>\nSubject: fake %d\n\n' "$i" "$i"
			head -c "$bytes" /dev/zero | tr '\0' 'x' | fold -w 70
			echo
		} >"$LAB_TMP/lf/$i"
		sed 's/$/\r/' "$LAB_TMP/lf/$i" >"$FAKE/box/$i.msg"
	done
	digests "$LAB_TMP/lf" >"$LAB_TMP/orig"
}
left() { find "$FAKE/box" -name '*.msg' | wc -l; }
got() { delivered "$1"; }

ok "sshd starts" lab_sshd 127.0.0.1 || { done_testing; exit; }
ok "the fake IMAP server starts" fake_start fetch-fakeimap.py || { done_testing; exit; }
iconf() {
	local name=$1
	shift
	conf "$name" protocol=imap pop3_port= server_port="$FAKE_PORT" "$@"
}

# ---- sanity: the fake is a server roam-fetch can use --------------------------------
box 3
c=$(iconf plain)
fetch "$c"
is "$rc" 0 "the fake, keeping the rules: exit 0"
is "$(got plain)" "$(cat "$LAB_TMP/orig")" "the fake, keeping the rules: 3 delivered byte for byte"
is "$(left)" 0 "the fake, keeping the rules: expunged"

# ---- a body cut short: never delivered, fetched once later -------------------------
box 3
echo "2 100" >"$FAKE/cut"
c=$(iconf cut)
fetch "$c"
is "$rc" 2 "body 2 cut after 100 of its octets: exit 2 (connection)"
like "$(cat "$LAB_TMP/err")" "IMAP UID FETCH 2: the server closed the connection" \
	"body cut short: the error names the command"
is "$(got cut | wc -l)" 1 "body cut short: only message 1 delivered"
is "$(find "$LAB_TMP/cut/mail/tmp" -type f | wc -l)" 0 "body cut short: no partial file left in tmp/"
rm -f "$FAKE/cut"
fetch "$c"
is "$rc" 0 "the next run, body whole: exit 0"
is "$(got cut)" "$(cat "$LAB_TMP/orig")" "the next run: every message once (1 not again)"
is "$(left)" 0 "the next run: the folder is empty"

# ---- a message another client expunged between the listing and its fetch ----------
box 3
echo 2 >"$FAKE/gone"
c=$(iconf gone)
fetch "$c" -v
is "$rc" 0 "message 2 gone before its fetch: the run goes on (exit 0)"
like "$(cat "$LAB_TMP/err")" "IMAP UID FETCH 2: no such message any more .*: skipped" \
	"gone: a notice says it was skipped"
is "$(got gone | wc -l)" 2 "gone: the other two delivered"
rm -f "$FAKE/gone"
fetch "$c"
is "$rc.$(got gone | wc -l)" "0.3" "gone: once it is back, the next run delivers it (3, each once)"
is "$(got gone)" "$(cat "$LAB_TMP/orig")" "gone: every message once, byte for byte"

# ---- a body for another UID ---------------------------------------------------------
box 2
echo 1 >"$FAKE/wrong-uid"
c=$(iconf wrong)
fetch "$c"
is "$rc" 4 "a body labelled with another UID: exit 4 (protocol)"
like "$(cat "$LAB_TMP/err")" "a body that is not UID 1's" "another UID's body: said"
is "$(got wrong | wc -l)" 0 "another UID's body: not delivered"
is "$(left)" 2 "another UID's body: the mail stays"

# ---- an endless line, no UIDVALIDITY -------------------------------------------------
box 1
: >"$FAKE/long-line"
c=$(iconf long)
fetch "$c"
is "$rc" 4 "a 10000-octet reply line: exit 4"
like "$(cat "$LAB_TMP/err")" "a reply line over 8192 octets" "an endless line: said"
rm -f "$FAKE/long-line"
: >"$FAKE/no-uidvalidity"
c=$(iconf nouv)
fetch "$c"
is "$rc" 4 "SELECT without UIDVALIDITY: exit 4"
like "$(cat "$LAB_TMP/err")" "folder \`INBOX': no UIDVALIDITY" "no UIDVALIDITY: said"
is "$(left)" 1 "no UIDVALIDITY: the mail stays"

# ---- a dripped body, a body over max_message_size ---------------------------------
box 1 3000
echo "1 0.02" >"$FAKE/drip"
c=$(iconf drip timeout=3)	# 1 s was too short for the ssh login on a loaded machine
t0=$EPOCHREALTIME
fetch "$c"
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
is "$rc" 7 "a body dripped an octet per 20 ms: exit 7 (timeout)"
like "$(cat "$LAB_TMP/err")" "IMAP UID FETCH 1: not done within [0-9]+ s" "dripped: the deadline is named"
ok "dripped: the run ends by its deadline (3 s + 1 s per KiB: ${ms} ms, not the 60 s the drip needs)" \
	[ "$ms" -lt 20000 ]
is "$(got drip | wc -l)" 0 "dripped: nothing delivered"
rm -f "$FAKE/drip"

box 1 3000
c=$(iconf big max_message_size=1024)
fetch "$c" -v
is "$rc" 1 "a message over max_message_size by RFC822.SIZE: left alone (exit 1)"
like "$(cat "$LAB_TMP/err")" "more than max_message_size \\(1024\\): left on the server" "over max_message_size: warned"
is "$(left)" 1 "over max_message_size: the mail stays"

done_testing
