#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/procmailrc as a mail server runs it: the file verbatim as a user's
# ~/.procmailrc, a real procmail started as the local delivery agent
# (`procmail -d alice`, as root, as sendmail's and postfix's local mailers do),
# its default PATH finding roam-redirect in /usr/local/bin, its default
# SENDMAIL (/usr/sbin/sendmail, here a recorder), the default mailbox
# /var/mail/alice. The state comes from the real roam-probe probing a laptop
# namespace, as its cron line or service would. All of it in a private mount
# namespace (a `make install` tree on /usr/local, alice in a private /etc).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
rc_file=$(cl_file procmailrc '*.procmailrc' procmailrc.*)
[ -n "$rc_file" ] || cl_skip_all "procmailrc"
command -v procmail >/dev/null || { echo "1..0 # SKIP no procmail"; exit 0; }
command -v formail >/dev/null || { echo "1..0 # SKIP no formail"; exit 0; }
lab_require_root
lab_init
plan 13

ok "make install into a private /usr/local" cl_install
mail=$(lab_ns mail)
laptop=$(lab_ns laptop)
lab_link "$mail" 198.51.100.152/24 "$laptop" 198.51.100.180/24
ok "the laptop answers" cl_wait_reachable "$mail" 198.51.100.180

# alice, a user of the mail server, only in the private /etc
uid=64123
home=$LAB_TMP/home-alice
mkdir -m 0755 "$home"
cp "$rc_file" "$home/.procmailrc"
chmod 0644 "$home/.procmailrc"
chown -R "$uid:$uid" "$home"
spool=$LAB_TMP/var-mail
mkdir -m 1777 "$spool"
state=$LAB_TMP/state
ok "alice exists in the private /etc" cl_host sh -c \
	"echo 'alice:x:$uid:$uid:Alice:$home:/bin/sh' >>/etc/passwd && echo 'alice:x:$uid:' >>/etc/group"

# /usr/sbin/sendmail: records "ARGS" and the message per call; exits 75 when the
# message says X-Test-Sendmail: fail (a full queue)
out=$LAB_TMP/sent
mkdir -m 0777 "$out"
cat >"$LAB_TMP/sendmail" <<EOF
#!/bin/sh
n=\$(date +%s%N)
cat >"$out/\$n.msg"
echo "\$*" >"$out/\$n.args"
! grep -q '^X-Test-Sendmail: fail' "$out/\$n.msg" || exit 75
exit 0
EOF
chmod 0755 "$LAB_TMP/sendmail"
CL_BINDS=("$LAB_TMP/sendmail:/usr/sbin/sendmail" "$spool:/var/mail")

cl_conf "[probe]
target = 198.51.100.180
state_dir = $state
count = 2
timeout = 500

[redirect]
target = 198.51.100.180
alive = user@laptop.example.net
state_dir = $state"

n=0
# deliver [HEADER…]: one message to alice through procmail -d; sets $args (what
# sendmail got, "" when it was not called), $msg (the copy it got), $box (alice's
# mailbox afterwards)
deliver() {
	n=$((n + 1))
	rm -f "$out"/*
	{
		printf 'From: Sender <sender@example.org>\nTo: alice@mail.example.net\n'
		printf 'Subject: roam contrib test %s\nMessage-ID: <cp-%s@example.org>\n' "$n" "$n"
		local h; for h in "$@"; do printf '%s\n' "$h"; done
		printf '\nHello %s.\n' "$n"
	} | cl_host --ns "$mail" procmail -d alice 2>>"$LAB_TMP/procmail.err"
	args=$(cat "$out"/*.args 2>/dev/null)
	msg=$(cat "$out"/*.msg 2>/dev/null)
	box=$(cat "$spool/alice" 2>/dev/null)
}
probe() { cl_host --ns "$mail" /usr/local/sbin/roam-probe -q; }

probe
like "$(cat "$state/198.51.100.180" 2>/dev/null)" '^v1 alive ' "roam-probe: the laptop is alive"
deliver
is "$args" "-oi user@laptop.example.net" "laptop alive: sendmail -oi user@laptop.example.net (one safe argument)"
like "$msg" "Message-ID: <cp-$n@example.org>" "  it got the message"
like "$msg" $'\nX-Loop: roam@example.net' "  with procmail's X-Loop line"
is "$(grep -c "cp-$n@" <<<"$box")" 0 "  and the mailbox did not keep a copy"

ip -n "$laptop" addr del 198.51.100.180/24 dev "$LAB_LINK_IF2"
probe
like "$(cat "$state/198.51.100.180" 2>/dev/null)" '^v1 dead ' "roam-probe: the laptop is away"
deliver
is "$args" "-oi alice" "laptop away: to the away recipient, by default the user (\$LOGNAME)"

ip -n "$laptop" addr add 198.51.100.180/24 dev "$LAB_LINK_IF2"
cl_wait_reachable "$mail" 198.51.100.180
probe
deliver "X-Test-Sendmail: fail"
is "$(grep -c "Message-ID: <cp-$n@example.org>" <<<"$box")" 1 \
	":0 w: sendmail fails (75), the message lands in /var/mail/alice, once"
deliver "X-Loop: roam@example.net"
is "$args:$(grep -c "Message-ID: <cp-$n@example.org>" <<<"$box")" ":1" \
	"a message that already has the X-Loop line: no sendmail, kept in /var/mail/alice"
is "$(grep -c '^From ' "$spool/alice")" 2 "/var/mail/alice holds exactly those two messages"
done_testing
