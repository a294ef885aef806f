#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every tool refuses a configuration that someone other than its owner or root
# can change (issue 14, item 6): one line naming the file, the documented exit
# status, and roam-redirect, which must never fail, still prints the away
# target. Run inside a namespace of our own, so that a tool which wrongly went
# ahead could not send a packet anywhere else.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
plan 16

ns=$(lab_ns trust)
B=$ROAM_BUILD
conf=$LAB_TMP/etc/roam.conf
mkdir -p "$LAB_TMP/etc"
chmod 0755 "$LAB_TMP/etc"
cat >"$conf" <<'CONF'
[tunnel]
role = gateway
remote = 192.0.2.1
inner_local = 192.0.2.2
inner_remote = 192.0.2.3
exported = 198.51.100.180
[probe]
method = icmp
[redirect]
target = 198.51.100.180
alive = alice@laptop.example.net
away = alice
[fetch]
pop3_user = alice
CONF

# $1 tool argv... ; prints "STATUS|STDERR"
try() { local err rc; err=$(ip netns exec "$ns" "$@" 2>&1 >/dev/null); rc=$?; echo "$rc|$err"; }

chmod 0664 "$conf"
why="$conf: writable by group (mode 0664); refusing it"
is "$(try "$B/roam-probe" -c "$conf" -q 192.0.2.9)" "3|roam-probe: $why" \
	"roam-probe: exit 3, one line naming the file"
is "$(try "$B/roam-tunnel" -c "$conf" -n up)" "3|roam-tunnel: $why" "roam-tunnel: exit 3"
is "$(try "$B/roam-fetch" -c "$conf")" "5|roam-fetch: $why" "roam-fetch: exit 5"
out=$(ip netns exec "$ns" env LOGNAME=bob "$B/roam-redirect" -v -c "$conf" </dev/null 2>"$LAB_TMP/err")
is "$out $?" "bob 0" "roam-redirect: the default away target (not the file's), exit 0"
is "$(grep -cF "roam-redirect: $why" "$LAB_TMP/err")" 1 "roam-redirect: logs why"

chmod 0646 "$conf"
like "$(try "$B/roam-probe" -c "$conf" -q 192.0.2.9)" "^3\|.*writable by others \(mode 0646\)" \
	"writable by others: refused"
chmod 0644 "$conf"
chmod 0777 "$LAB_TMP/etc"
like "$(try "$B/roam-probe" -c "$conf" -q 192.0.2.9)" "^3\|roam-probe: $LAB_TMP/etc: writable by others \(mode 0777\)" \
	"a directory on the way others can write: refused, named"
chmod 01777 "$LAB_TMP/etc"
out=$(ip netns exec "$ns" "$B/roam-redirect" -c "$conf" </dev/null 2>&1)
is "$out" "alice" "a sticky directory on the way (like /tmp) is fine: the file's away target"
chmod 0755 "$LAB_TMP/etc"

chown nobody "$conf"
like "$(try "$B/roam-tunnel" -c "$conf" -n up)" "^3\|roam-tunnel: $conf: owned by uid [0-9]+, neither root nor you" \
	"a file owned by another user: refused"
# the same file is fine for the user who owns it
out=$(ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$B/roam-redirect" -c "$conf" </dev/null 2>&1)
is "$out" "alice" "for its owner the file is fine"
chown root "$conf"

ln -sf "$conf" "$LAB_TMP/link.conf"
out=$(ip netns exec "$ns" "$B/roam-redirect" -c "$LAB_TMP/link.conf" </dev/null 2>&1)
is "$out" "alice" "a symbolic link to a trusted file: followed and checked"
mkdir -m 0777 "$LAB_TMP/open"
mv "$conf" "$LAB_TMP/open/roam.conf"
ln -sf "$LAB_TMP/open/roam.conf" "$LAB_TMP/link.conf"
like "$(try "$B/roam-fetch" -c "$LAB_TMP/link.conf")" "^5\|roam-fetch: $LAB_TMP/open: writable by others" \
	"a link into a directory others can write: the resolved path is checked"
mv "$LAB_TMP/open/roam.conf" "$conf"

mkfifo "$LAB_TMP/fifo"
like "$(timeout 10 ip netns exec "$ns" "$B/roam-fetch" -c "$LAB_TMP/fifo" 2>&1 >/dev/null; echo "|$?")" \
	"not a regular file.*\|5$" "a FIFO is refused without blocking on it"
like "$(try "$B/roam-fetch" -c "$LAB_TMP/none.conf")" "^5\|roam-fetch: cannot read '$LAB_TMP/none.conf': No such file" \
	"a missing -c file: as before"
is "$(try "$B/roam-tunnel" -c /dev/null -n up)" "3|roam-tunnel: /dev/null: missing key 'role' in [tunnel]" \
	"-c /dev/null: read as empty (not refused as a world-writable device)"
# a user's own file in their own directory, mode 0600
chmod 0600 "$conf"
out=$(ip netns exec "$ns" "$B/roam-redirect" -c "$conf" </dev/null 2>&1)
is "$out" "alice" "a private file is read"
