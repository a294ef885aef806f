#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch against a POP3 server that breaks the rules (tests/lab/fetch-fakepop3.py,
# behind the lab's real sshd): UIDLs shared by several messages (adjacent or
# not, identical copies too) are each delivered once and never deleted
# unseen, into a Maildir and through an MDA, also in keep mode and when the
# record already names the UIDL; UIDLs with bytes outside 0x21-0x7e are
# delivered once, recorded escaped, logged escaped, and hold nothing back;
# a negative message number is a protocol error; a body dripped a byte at a
# time ends the run within timeout (+1 s a KiB), with nothing deleted; a
# message over max_message_size (by LIST, or as it arrives) is left on the
# server with a warning while the others are delivered.
# The fake says PIPELINING in CAPA (RFC 2449), so all of that runs pipelined;
# the last section checks that commands really go out ahead, that they do
# not with pipelining = no or without PIPELINING, and what a pipelined run
# does with a reply that is cut short, malformed or -ERR.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init

FAKE=$LAB_TMP/fake
mkdir -p "$FAKE/box"
LAB_POP3_HOST=127.0.0.1
LAB_POP3_USER=alice
LAB_POP3_PASSFILE=$LAB_TMP/pass
(umask 077 && echo secret >"$LAB_POP3_PASSFILE")


# box UIDL-BYTES… : a fresh maildrop, message i with UIDL $i (printf %b) and a
# body of its own unless the UIDL is followed by "=BODYOF:k" (the body of message k)
box() {
	local i=0 u
	rm -f "$FAKE"/box/* "$FAKE/log" "$FAKE/listing-extra" "$FAKE/drip" "$FAKE/lie-size" \
		"$FAKE/no-pipelining" "$FAKE/retr-reply" "$FAKE/cut"
	for u in "$@"; do
		i=$((i + 1))
		printf '%b' "${u%%=BODYOF:*}" >"$FAKE/box/$(printf %04d $i).uidl"
		if [[ $u == *=BODYOF:* ]]; then
			cp "$FAKE/box/$(printf %04d "${u##*=BODYOF:}").msg" "$FAKE/box/$(printf %04d $i).msg"
		else
			printf 'Subject: message %d\r\n\r\nbody %d of %s\r\n' $i $i "$LAB_ID" \
				>"$FAKE/box/$(printf %04d $i).msg"
		fi
	done
	box_digests >"$LAB_TMP/orig"
}
# what the maildrop holds, as delivered copies hold it (LF line ends)
box_digests() {
	local f
	for f in "$FAKE"/box/*.msg; do
		[ -e "$f" ] && tr -d '\r' <"$f" | md5sum | cut -d' ' -f1
	done | sort
}
box_count() { find "$FAKE/box" -name '*.msg' | wc -l; }
deles() { grep -c '^DELE' "$FAKE/log" || true; }
# commands that had arrived before the reply to the one before them was sent
ahead() { grep -c ' +ahead$' "$FAKE/log" || true; }

# big N OCTETS: message N's body becomes OCTETS long (lines of 50, the last one ended too)
big() {
	local f=$FAKE/box/$(printf %04d "$1").msg
	printf 'Subject: big %d\r\n\r\n' "$1" >"$f"
	{ head -c "$2" /dev/zero | tr '\0' x | fold -w 48; echo; } | sed 's/$/\r/' >>"$f"
	box_digests >"$LAB_TMP/orig"
}

mda_conf() {
	mkdir -p "$LAB_TMP/$1/mda"
	conf "$@" "deliver=mda:cat >\$(mktemp $LAB_TMP/$1/mda/msg.XXXXXX)"
}
mda_delivered() { digests "$LAB_TMP/$1/mda"; }

ok "sshd starts" lab_sshd 127.0.0.1 || { done_testing; exit; }
ok "the fake POP3 server starts" fake_start fetch-fakepop3.py && LAB_POP3_PORT=$FAKE_PORT || { done_testing; exit; }

# ---- item 1: duplicate UIDLs ------------------------------------------------------

# x, y, x (non-adjacent), z, z (identical copies)
dup_box() { box x y x z 'z=BODYOF:4'; }

dup_box
c=$(conf dupmd)
fetch "$c" -v
is "$rc" 0 "duplicate UIDLs, Maildir: exit 0"
is "$(delivered dupmd)" "$(cat "$LAB_TMP/orig")" \
	"duplicate UIDLs, Maildir: all 5 messages delivered once each (identical copies twice)"
is "$(box_count)" 0 "duplicate UIDLs, Maildir: all removed from the server (each after its delivery)"
like "$(cat "$LAB_TMP/err")" "UIDL x is given to 2 messages \(1, 3\)" \
	"duplicate UIDLs: warned, naming the UIDL and the messages"
fetch "$c"
is "$rc" 1 "duplicate UIDLs, Maildir: the next run finds no mail"

dup_box
c=$(mda_conf dupmda)
fetch "$c"
is "$rc" 0 "duplicate UIDLs, MDA: exit 0"
is "$(mda_delivered dupmda)" "$(cat "$LAB_TMP/orig")" \
	"duplicate UIDLs, MDA (recorded after each message): every message delivered once"
fetch "$c"
is "$(box_count)" 0 "duplicate UIDLs, MDA: the server is empty"
is "$(mda_delivered dupmda)" "$(cat "$LAB_TMP/orig")" \
	"duplicate UIDLs, MDA: a second run deleted nothing it had not delivered"

# keep mode: each copy once, the second run recognises every copy by its key
dup_box
c=$(conf dupkeep keep=yes)
fetch "$c"
is "$rc" 0 "duplicate UIDLs, keep: exit 0"
fetch "$c"
is "$rc" 1 "duplicate UIDLs, keep: the second run delivers nothing again (exit 1)"
is "$(delivered dupkeep)" "$(cat "$LAB_TMP/orig")" \
	"duplicate UIDLs, keep: each message exactly once over two runs"
is "$(box_count)" 5 "duplicate UIDLs, keep: all still on the server"
# … and once keep is off, the record proves each copy: deleted, not delivered again
c=$(conf dupkeep)
fetch "$c"
is "$(deles)" 5 "duplicate UIDLs, keep off: the record proves each copy, all 5 deleted"
is "$(delivered dupkeep)" "$(cat "$LAB_TMP/orig")" \
	"duplicate UIDLs, keep off: none delivered a second time"

# mbox with its journal: shared-UIDL messages go in unkeyed, once each
dup_box
c=$(conf dupmbox keep=yes "deliver=mbox:$LAB_TMP/dupmbox/mbox")
fetch "$c"
fetch "$c"
is "$rc" 1 "duplicate UIDLs, mbox + keep: the second run delivers nothing again"
mbox_split "$LAB_TMP/dupmbox/mbox" "$LAB_TMP/dupmbox/split"
is "$(digests "$LAB_TMP/dupmbox/split")" "$(cat "$LAB_TMP/orig")" \
	"duplicate UIDLs, mbox + keep: each message exactly once"

# the record names x (a run that saw one message x and died before QUIT);
# now two messages carry x: neither may be deleted on the record's word
box x y
c=$(conf duprec keep=yes)
fetch "$c"
box x y x
cp "$FAKE/box/0001.msg" "$LAB_TMP/first"
printf 'Subject: new one\r\n\r\nnot the first x\r\n' >"$FAKE/box/0003.msg"
box_digests >"$LAB_TMP/orig"
c=$(conf duprec)
fetch "$c"
ok "record names x, two messages x: the new one is delivered" \
	grep -rqx 'not the first x' "$LAB_TMP/duprec/mail/new"
is "$(box_count)" 0 "record names x, two messages x: both deleted, each after a delivery"

# ---- item 2: UIDLs outside 0x21-0x7e ------------------------------------------------

box 'a\xff\xfeb' 'has space' 'nul\0x' '100%' 'tab\there' plain
c=$(conf odd)
fetch "$c" -v
is "$rc" 0 "odd UIDLs: exit 0"
is "$(delivered odd)" "$(cat "$LAB_TMP/orig")" "odd UIDLs: all 6 messages delivered, none held back"
is "$(box_count)" 0 "odd UIDLs: all removed from the server"
like "$(cat "$LAB_TMP/err")" "UIDLs with bytes outside .*message 1 is a%FF%FEb" \
	"odd UIDLs: the log shows the UIDL escaped"
ok "odd UIDLs: none of their raw bytes (0xff, 0xfe, tab) reaches the log" \
	bash -c '! LC_ALL=C grep -qP "[\xff\xfe\t]" "$1"' _ "$LAB_TMP/err"
rec=$(find "$LAB_TMP/odd/state" -name '*.uidl')
ok "odd UIDLs: the record holds them escaped (a%FF%FEb, has%20space, nul%00x, 100%25)" \
	bash -c 'grep -qx "a%FF%FEb" "$1" && grep -qx "has%20space" "$1" &&
		 grep -qx "nul%00x" "$1" && grep -qx "100%25" "$1"' _ "$rec"

box 'a\xff\xfeb' 'has space' plain
c=$(mda_conf oddmda keep=yes)
fetch "$c"
fetch "$c"
is "$rc" 1 "odd UIDLs, MDA + keep: the second run delivers nothing"
is "$(mda_delivered oddmda)" "$(cat "$LAB_TMP/orig")" "odd UIDLs, MDA + keep: each delivered exactly once"

box a b
printf -- '-5 c\r\n' >"$FAKE/listing-extra"
c=$(conf negative)
fetch "$c"
is "$rc" 4 "message number -5: a protocol error (exit 4)"
is "$(deles)" 0 "message number -5: nothing deleted"
like "$(cat "$LAB_TMP/err")" "malformed reply line \`-5 c'" "message number -5: the line is named"

# ---- item 3: a dripping server, max_message_size ------------------------------------

# 5 bytes a second: libcurl's LOW_SPEED_LIMIT of 1 byte/s never fired
box a b c
big 1 2000
echo "1 0.2" >"$FAKE/drip"
c=$(conf drip timeout=2)
t0=$EPOCHREALTIME
rc=0
timeout -k 5 60 "$FETCH" -c "$c" >"$LAB_TMP/out" 2>"$LAB_TMP/err" || rc=$?
note "dripped body: the run ended after" \
	"$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
is "$rc" 7 "dripped body: the run gives up on its own (exit 7, not killed after 60 s)"
like "$(cat "$LAB_TMP/err")" "RETR 1: not done within [0-9]+ s" "dripped body: the error names the command"
is "$(box_count)" 3 "dripped body: nothing deleted"
is "$(deles)" 0 "dripped body: no DELE sent"
rm -f "$FAKE/drip"

box a b c
big 2 3000
c=$(conf cap max_message_size=2048)
fetch "$c" -v
is "$rc" 0 "over max_message_size by LIST: the others are delivered (exit 0)"
like "$(cat "$LAB_TMP/err")" "message 2 \(b\) has [0-9]+ octets, more than max_message_size \(2048\): left on the server" \
	"over max_message_size: warned"
is "$(delivered cap)" "$(grep -v "$(tr -d '\r' <"$FAKE/box/0002.msg" | md5sum | cut -d' ' -f1)" "$LAB_TMP/orig")" \
	"over max_message_size: messages 1 and 3 delivered, 2 not"
is "$(box_count)" 1 "over max_message_size: it alone stays on the server"
fetch "$c" -v
is "$rc" 1 "over max_message_size: the next run has no mail"
like "$(cat "$LAB_TMP/err")" "message 1 \(b\) has [0-9]+ octets" "over max_message_size: warned again"
is "$(box_count)" 1 "over max_message_size: still not deleted"

box a b
big 1 3000
echo "1 100" >"$FAKE/lie-size"
c=$(conf lie max_message_size=2048)
fetch "$c"
is "$rc" 4 "LIST says 100, 3000 octets arrive, cap 2048: a protocol error (exit 4)"
like "$(cat "$LAB_TMP/err")" "message 1 \(a\): more than max_message_size \(2048\) octets arrive, though LIST said 100" \
	"more than max_message_size arriving: the error names the message"
is "$(find "$LAB_TMP/lie/mail" -type f | wc -l)" 0 "more than max_message_size arriving: nothing delivered"
is "$(deles)" 0 "more than max_message_size arriving: nothing deleted"

# ---- pipelining (RFC 2449) ------------------------------------------------------------

# 30 messages, every sixth one shares its UIDL with the one before it
pipe_box() {
	local i u=()
	for ((i = 1; i <= 30; i++)); do
		if ((i % 6 == 0)); then u+=("m$((i - 1))"); else u+=("m$i"); fi
	done
	box "${u[@]}"
}

pipe_box
c=$(conf pipe)
fetch "$c" -v
is "$rc" 0 "pipelined: exit 0"
is "$(delivered pipe)" "$(cat "$LAB_TMP/orig")" "pipelined: every message delivered once, shared UIDLs too"
is "$(box_count)" 0 "pipelined: all removed from the server"
ok "pipelined: RETRs and DELEs went out ahead of their replies ($(ahead) commands)" \
	test "$(ahead)" -ge 10
fetch "$c"
is "$rc" 1 "pipelined: the next run finds no mail"

pipe_box
c=$(conf lockstep pipelining=no)
fetch "$c"
is "$rc" 0 "pipelining = no: exit 0"
is "$(delivered lockstep)" "$(cat "$LAB_TMP/orig")" "pipelining = no: every message delivered once"
is "$(ahead)" 0 "pipelining = no: never a command before the last reply"
is "$(box_count)" 0 "pipelining = no: all removed from the server"

pipe_box
touch "$FAKE/no-pipelining"
c=$(conf nocapa)
fetch "$c"
is "$rc" 0 "server without PIPELINING: exit 0"
is "$(delivered nocapa)" "$(cat "$LAB_TMP/orig")" "server without PIPELINING: every message delivered once"
is "$(ahead)" 0 "server without PIPELINING: one command at a time"

# the connection closes inside message 3 (its first 2000 octets sent), or
# right before the "." that ends it: never a short message, nothing lost
for cut in 2000 -3; do
	pipe_box
	big 3 20000
	echo "3 $cut" >"$FAKE/cut"
	c=$(conf "cut$cut")
	fetch "$c"
	is "$rc" 2 "connection closed in a pipelined body (cut at $cut): exit 2"
	is "$(delivered "cut$cut" | grep -c "$(tr -d '\r' <"$FAKE/box/0003.msg" | md5sum | cut -d' ' -f1)")" 0 \
		"connection closed in a body (cut at $cut): that message is not delivered"
	is "$(box_count)" 30 "connection closed in a body (cut at $cut): nothing deleted (no QUIT)"
	rm -f "$FAKE/cut"
	fetch "$c"
	is "$rc" 0 "connection closed in a body (cut at $cut): the next run completes"
	is "$(delivered "cut$cut")" "$(cat "$LAB_TMP/orig")" \
		"connection closed in a body (cut at $cut): every message once over both runs"
	is "$(box_count)" 0 "connection closed in a body (cut at $cut): then the server is empty"
done

pipe_box
printf '4 +OKAY\r\n' >"$FAKE/retr-reply"
c=$(conf badstatus)
fetch "$c"
is "$rc" 4 "a pipelined RETR answered '+OKAY': a protocol error (exit 4)"
like "$(cat "$LAB_TMP/err")" "RETR 4: malformed reply line \`\+OKAY'" "'+OKAY': the line is named"
is "$(box_count)" 30 "'+OKAY': nothing deleted"
rm -f "$FAKE/retr-reply"
fetch "$c"
is "$(delivered badstatus)" "$(cat "$LAB_TMP/orig")" "'+OKAY': the next run delivers the rest, each once"

pipe_box
printf '4 -ERR [SYS/TEMP] cannot read it\r\n' >"$FAKE/retr-reply"
c=$(conf errretr)
fetch "$c"
is "$rc" 7 "a pipelined RETR answered -ERR: a server error (exit 7)"
like "$(cat "$LAB_TMP/err")" "RETR 4: refused \(server: -ERR \[SYS/TEMP\] cannot read it\)" \
	"-ERR: the server's words are shown"
is "$(delivered errretr | wc -l)" 3 "-ERR on message 4: the three before it are delivered"
rm -f "$FAKE/retr-reply"
fetch "$c"
is "$(delivered errretr)" "$(cat "$LAB_TMP/orig")" "-ERR: the next run delivers the rest, each once"
is "$(box_count)" 0 "-ERR: then the server is empty"

done_testing
