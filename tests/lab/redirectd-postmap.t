#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# roam-redirectd answering a real Postfix client (postmap -q, socketmap:unix
# and socketmap:inet) from the recipients table and the state files; bad
# input (malformed, oversized, truncated netstrings) closes only that
# connection; a flood of idle connections does not lock clients out; SIGHUP
# takes a new table only when it parses whole; every exit status.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
plan 35

command -v postmap >/dev/null || { echo "1..0 # SKIP postfix's postmap missing (scripts/deps)"; exit 0; }
D=$LAB_TMP/rd
C=$ROAM_BUILD/tools/redirectd-client
mkdir -p "$D/state" "$D/pf"
chmod 0755 "$LAB_TMP" "$D"
A=alice@example.org B=bob@example.org
echo "$A 198.51.100.180 alice@laptop.example.net" >"$D/recipients"
echo "$B 198.51.100.181 bob@laptop.example.net" >>"$D/recipients"
SOCK=$D/run/redirect.sock
PORT=$(lab_free_port)
conf() {
	{
		printf '[redirect]\nrecipients = %s\nstate_dir = %s\nsocket = %s\n' \
			"$D/recipients" "$D/state" "$SOCK"
		printf 'socket_group = %s\nlisten = 127.0.0.1:%s\n' "$(id -gn)" "$PORT"
		local kv
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$D/roam.conf"
}
state() {	# state ADDR alive|dead
	local now; now=$(date +%s)
	echo "v1 $2 $((now - 60)) $now 0 dgram" >"$D/state/$1.tmp" && mv "$D/state/$1.tmp" "$D/state/$1"
}
# postmap needs a configuration directory: contrib/postfix-main.cf's lines,
# with our socket
printf 'compatibility_level = 3.6\n' >"$D/pf/main.cf"
: >"$D/pf/master.cf"
sed -n 's|/run/roam/redirect.sock|'"$SOCK"'|; /^#\{0,1\}\(transport\|virtual_alias\)_maps = socketmap:unix/{s/^#//;p}' \
	"$ROAM_TOP/contrib/postfix-main.cf" >>"$D/pf/main.cf"
MAP_transport=$(postconf -c "$D/pf" -h transport_maps)
MAP_alias=$(postconf -c "$D/pf" -h virtual_alias_maps)
q() {	# q MAP KEY: postmap's answer and its status, through main.cf's map
	local out rc map="MAP_$1"
	out=$(postmap -c "$D/pf" -q "$2" "${!map}" 2>&1); rc=$?
	echo "$out/$rc"
}
start() {
	"$ROAM_BUILD/roam-redirectd" -c "$D/roam.conf" -v 2>>"$D/log" &
	RD=$!
	echo "$RD" >"$D/pid"
	_lab_register pidfile "$D/pid"
	local i
	for ((i = 0; i < 300; i++)); do [ -S "$SOCK" ] && return 0; sleep 0.01; done
	return 1
}

conf max_connections=50
state 198.51.100.180 alive
state 198.51.100.181 dead
is "$MAP_transport $MAP_alias" "socketmap:unix:$SOCK:transport socketmap:unix:$SOCK:alias" \
	"contrib/postfix-main.cf's maps in a main.cf"
ok "roam-redirectd starts and listens" start
is "$(stat -c '%a %G' "$SOCK")" "660 $(id -gn)" "  the socket is 0660, group socket_group"

is "$(q transport "$A")" "smtp:[198.51.100.180]/0" "postmap transport, alive: smtp:[TARGET]"
is "$(q alias "$A")" "alice@laptop.example.net/0" "postmap alias, alive: the alive destination"
is "$(q transport "$B")" "/1" "postmap transport, dead: not found (the mailbox)"
is "$(q alias "$B")" "/1" "postmap alias, dead: not found"
is "$(q transport carol@example.org)" "/1" "a recipient not in the table: not found"
is "$(q transport ALICE@EXAMPLE.ORG)" "smtp:[198.51.100.180]/0" "recipients match without regard to case"
state 198.51.100.180 dead
is "$(q transport "$A")" "/1" "the state changes: the next lookup sees it (no cache)"
echo "v1 alive 1000 1000 0 dgram" >"$D/state/198.51.100.180"
is "$(q transport "$A")" "/1" "a stale state is away"
echo garbage >"$D/state/198.51.100.180"
is "$(q transport "$A")" "/1" "a corrupt state: not found (the mailbox)"
like "$(cat "$D/log")" "alice@example.org: .*answered NOTFOUND" "  and logged"
state 198.51.100.180 alive
is "$(postmap -c "$D/pf" -q "$A" "socketmap:inet:127.0.0.1:$PORT:transport")" "smtp:[198.51.100.180]" \
	"listen = 127.0.0.1:PORT: the same over TCP"

# one persistent connection, many requests
is "$("$C" query "$SOCK" transport "$A" "$B" "$A" | tr '\n' '|')" \
	"OK smtp:[198.51.100.180]|NOTFOUND |OK smtp:[198.51.100.180]|" "three requests on one connection"
is "$("$C" query "$SOCK" virtual "$A")" "PERM unknown map: roam-redirectd has transport and alias" \
	"an unknown map: PERM"

# bad input closes that connection only
is "$(printf 'xyz' | "$C" raw "$SOCK")" "<closed>" "a malformed netstring: closed, no reply"
is "$(printf '99999:' | "$C" raw "$SOCK")" "<closed>" "an oversized request: closed before its data"
is "$(printf '27:transport alice@exam' | "$C" raw "$SOCK")" "<closed>" "a truncated request: closed at EOF, no reply"
is "$(printf '27:transport alice@example.org,3:abc' | "$C" raw "$SOCK")" "24:OK smtp:[198.51.100.180],<closed>" \
	"  a whole request before the bad one is answered"
is "$(q transport "$A")" "smtp:[198.51.100.180]/0" "  and the daemon answers the next client"

# a flood of idle connections: the cap closes the idlest, clients still get in
mkfifo "$D/flood.in"
"$C" flood "$SOCK" 200 <"$D/flood.in" >"$D/flood.out" &
fl=$!
exec 9>"$D/flood.in"
for ((i = 0; i < 500; i++)); do grep -q '^open' "$D/flood.out" && break; sleep 0.01; done
is "$(head -n1 "$D/flood.out")" "open 200" "200 idle connections opened (max_connections 50)"
is "$(q transport "$A")" "smtp:[198.51.100.180]/0" "  a lookup during the flood is answered"
is "$("$C" query "$SOCK" transport "$A" "$B" | tr '\n' '|')" "OK smtp:[198.51.100.180]|NOTFOUND |" \
	"  and a persistent client too"
echo >&9; exec 9>&-
wait "$fl"
like "$(tail -n1 "$D/flood.out")" "^closed (15[0-9]|1[6-9][0-9]|200)$" "  at least 150 of the flood's were closed"
like "$(ls /proc/"$RD"/fd | wc -l)" "^([0-9]|[1-5][0-9]|6[0-9])$" "  the daemon holds at most the cap's descriptors"

# SIGHUP: a broken table is refused whole, a good one replaces the old
cp "$D/recipients" "$D/recipients.good"
echo "carol@example.org 198.51.100.182 carol@laptop.example.net" >>"$D/recipients"
echo "broken" >>"$D/recipients"
state 198.51.100.182 alive
kill -HUP "$RD"
for ((i = 0; i < 300; i++)); do grep -q "reload refused" "$D/log" && break; sleep 0.01; done
like "$(grep "reload refused" "$D/log")" "recipients:4:" "SIGHUP with an error: refused, FILE:LINE logged"
is "$(q transport "$A")/$(q transport carol@example.org)" "smtp:[198.51.100.180]/0//1" \
	"  the old table stays whole (alice yes, carol not yet)"
sed -i '$d' "$D/recipients"
kill -HUP "$RD"
for ((i = 0; i < 300; i++)); do grep -q "reloaded: 3 recipients" "$D/log" && break; sleep 0.01; done
is "$(q transport carol@example.org)" "smtp:[198.51.100.182]/0" "SIGHUP with a good table: carol is in"

# SIGTERM: exit 0, the socket is gone
kill -TERM "$RD"; wait "$RD"; rc=$?
is "$rc/$([ -e "$SOCK" ] && echo left || echo gone)" "0/gone" "SIGTERM: exit 0, the socket removed"

# exit statuses
"$ROAM_BUILD/roam-redirectd" --help >/dev/null; is "$?" 0 "--help: 0"
"$ROAM_BUILD/roam-redirectd" --bogus 2>/dev/null; is "$?" 3 "a bad option: 3"
sed -i '/^recipients/d' "$D/roam.conf"
err=$("$ROAM_BUILD/roam-redirectd" -c "$D/roam.conf" 2>&1); rc=$?
is "$rc" 3 "no recipients table: 3"
conf; echo "x y" >>"$D/recipients"
err=$("$ROAM_BUILD/roam-redirectd" -c "$D/roam.conf" 2>&1); rc=$?
like "$rc $err" "^3 .*recipients:4: want RECIPIENT TARGET ALIVE_DESTINATION" "a bad table: 3, FILE:LINE"
cp "$D/recipients.good" "$D/recipients"
start
"$ROAM_BUILD/roam-redirectd" -c "$D/roam.conf" 2>/dev/null; rc=$?
is "$rc/$(q transport "$A")" "4/smtp:[198.51.100.180]/0" "a second daemon on a live socket: 4, the first goes on"
kill -TERM "$RD"; wait "$RD"
done_testing
