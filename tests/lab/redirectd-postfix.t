#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real mail through a real Postfix that asks roam-redirectd (transport_maps,
# contrib/postfix-main.cf): while the laptop is alive a message goes to a
# second Postfix standing in for the laptop's MTA, while it is away into the
# local mailbox; when the laptop stops answering before the probe notices,
# the message waits in the queue and arrives once when it answers again —
# counted by Message-ID, never lost, never doubled. And what Postfix really
# does with the answers (contrib/postfix-main.cf, roam-redirectd(8)): its
# queue manager keeps the last one it got, for one sender and recipient, 30 s.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
plan 18

command -v postfix >/dev/null && id postfix >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP postfix missing (scripts/deps)"; exit 0; }
MAIL_IP=198.51.100.152 LAPTOP_IP=198.51.100.180 RCPT=alice@example.org
mail=$(lab_ns mail)
laptop=$(lab_ns laptop)
lab_link "$mail" "$MAIL_IP/24" "$laptop" "$LAPTOP_IP/24"
D=$LAB_TMP/pf
mkdir -p "$D/state"
chmod 0755 "$LAB_TMP" "$D"
SOCK=$D/run/redirect.sock

# pf_instance NAME ADDR [MAIN.CF LINE…]: a private Postfix in $D/NAME that
# receives on ADDR:25 and delivers example.org into its own virtual mailbox
# $D/NAME/mail/alice/ (a Maildir), logging to $D/NAME/maillog
pf_instance() {
	local name=$1 addr=$2 dir=$D/$1 l
	shift 2
	mkdir -p "$dir/mail" "$dir/data" "$dir/queue"
	chown postfix "$dir/data"
	chown nobody:nogroup "$dir/mail"
	printf '%s alice/\nbob@example.org bob/\n' "$RCPT" >"$dir/vmailbox"
	{
		cat <<-EOF
		compatibility_level = 3.6
		queue_directory = $dir/queue
		data_directory = $dir/data
		maillog_file = $dir/maillog
		maillog_file_prefixes = $D
		myhostname = $name.example.net
		mydestination =
		inet_interfaces = $addr
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8 198.51.100.0/24
		smtpd_relay_restrictions = permit_mynetworks, reject
		alias_maps =
		alias_database =
		virtual_mailbox_domains = example.org
		virtual_mailbox_base = $dir/mail
		virtual_mailbox_maps = texthash:$dir/vmailbox
		virtual_uid_maps = static:$(id -u nobody)
		virtual_gid_maps = static:$(getent group nogroup | cut -d: -f3)
		smtp_connect_timeout = 1s
		queue_run_delay = 1s
		minimal_backoff_time = 1s
		maximal_backoff_time = 2s
		smtp_host_lookup = native
		disable_dns_lookups = yes
		EOF
		for l in "$@"; do echo "$l"; done
	} >"$dir/main.cf"
	# the Debian master.cf without chroot: the private queue is not a chroot
	sed -E '/^[a-z]/s/^([^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +)y /\1n /' /etc/postfix/master.cf >"$dir/master.cf"
	ip netns exec "${PF_NS[$name]}" postfix -c "$dir" start >>"$dir/start.log" 2>&1 ||
		{ sed 's/^/  /' "$dir/start.log" "$dir/maillog" >&2 2>/dev/null; return 1; }
}
declare -A PF_NS=([home]=$mail [laptop]=$laptop)

# the mail server's Postfix asks roam-redirectd, as contrib/postfix-main.cf says
tm=$(sed -n 's|/run/roam/redirect.sock|'"$SOCK"'|; /^transport_maps = /p' "$ROAM_TOP/contrib/postfix-main.cf")
echo "$RCPT $LAPTOP_IP alice@laptop.example.net" >"$D/recipients"
printf '[redirect]\nrecipients = %s\nstate_dir = %s\nsocket = %s\nsocket_group = postfix\n' \
	"$D/recipients" "$D/state" "$SOCK" >"$D/roam.conf"
ip netns exec "$mail" "$ROAM_BUILD/roam-redirectd" -c "$D/roam.conf" -vv 2>>"$D/redirectd.log" &
for ((i = 0; i < 300; i++)); do [ -S "$SOCK" ] && break; sleep 0.01; done
ok "roam-redirectd listens" test -S "$SOCK"
ok "the home Postfix starts with $tm" pf_instance home 127.0.0.1 "$tm"
ok "the laptop's Postfix starts on $LAPTOP_IP:25" pf_instance laptop "$LAPTOP_IP"

state() {	# state alive|dead: what roam-probe would have written
	local now; now=$(date +%s)
	echo "v1 $1 $((now - 60)) $now 0 dgram" >"$D/state/$LAPTOP_IP.tmp"
	mv "$D/state/$LAPTOP_IP.tmp" "$D/state/$LAPTOP_IP"
}
# send N SENDER [RCPT]: one message (to alice) through the home Postfix's
# smtpd (SMTP on 127.0.0.1:25 inside the mail namespace)
send() {
	ip netns exec "$mail" bash -c '
		exec 3<>/dev/tcp/127.0.0.1/25 || exit 1
		r() { local l; while IFS= read -r -t 10 l <&3; do
			[[ $l == [0-9][0-9][0-9]" "* ]] && { [[ $l == [23]* ]]; return; }; done; return 1; }
		r && printf "EHLO test.example.net\r\n" >&3 && r &&
		printf "MAIL FROM:<%s>\r\n" "$2" >&3 && r &&
		printf "RCPT TO:<%s>\r\n" "$0" >&3 && r &&
		printf "DATA\r\n" >&3 && r &&
		printf "From: sender@example.net\r\nTo: %s\r\nSubject: roam %s\r\nMessage-ID: <pf-%s@test.example.net>\r\n\r\nbody\r\n.\r\n" \
			"$0" "$1" "$1" >&3 && r &&
		printf "QUIT\r\n" >&3' "${3:-$RCPT}" "$1" "$2"
}
# count WHERE N: copies of message N in the home or the laptop's mailbox
count() { grep -lsF "Message-ID: <pf-$2@test.example.net>" "$D/$1"/mail/alice/new/* | wc -l; }
# arrived N: waits up to 20 s until N is in one mailbox; prints "home:H laptop:L"
arrived() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ $(($(count home "$1") + $(count laptop "$1"))) -gt 0 ] && break
		sleep 0.1
	done
	sleep 0.5	# a second copy would come right behind the first
	echo "home:$(count home "$1") laptop:$(count laptop "$1")"
}
# queued: messages in the home queue; flush: retry the deferred ones now
queued() { ip netns exec "$mail" postqueue -c "$D/home" -j | grep -c '"queue_id"'; }
flush() { ip netns exec "$mail" postqueue -c "$D/home" -f; }
# asked: how often roam-redirectd was asked alice's transport (its -vv log)
asked() { grep -c "request 'transport $RCPT'" "$D/redirectd.log"; }
# deferred N: waits until N deferrals are logged
deferred() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 'status=deferred' "$D/home/maillog")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# the laptop stops answering SMTP (and comes back with laptop_back)
laptop_silent() {
	ip netns exec "$laptop" nft -f - <<-'EOF'
	table inet roamtest {
		chain input {
			type filter hook input priority 0; policy accept;
			tcp dport 25 drop
		}
	}
	EOF
}
laptop_back() { ip netns exec "$laptop" nft delete table inet roamtest; }


state alive
ok "a message is accepted over SMTP" send 1 a1@example.net
is "$(arrived 1)" "home:0 laptop:1" "alive: delivered to the laptop's Postfix, once"
like "$(grep -h 'status=sent' "$D/home/maillog")" "relay=$LAPTOP_IP\\[$LAPTOP_IP\\]:25" \
	"  through smtp:[$LAPTOP_IP], the transport roam-redirectd answered"

# The laptop goes away. Postfix's queue manager keeps its last resolved
# (sender, recipient) answer 30 s (src/global/resolve_clnt.c, not
# configurable): the same sender's next message does not ask again.
state dead
n=$(asked)
send 2 a1@example.net
is "$(arrived 2) $(($(asked) - n))" "home:0 laptop:1 0" \
	"away, but the same sender within 30 s: qmgr's cached answer, roam-redirectd not asked"
# any other sender (or recipient) is a new lookup, at delivery time
n=$(asked)
send 3 a2@example.net
is "$(arrived 3)" "home:1 laptop:0" "away: another sender's message goes into the home mailbox, once"
ok "  roam-redirectd was asked at delivery time" test "$(asked)" -gt "$n"

# the laptop stops answering; the state still says alive (the probe's next
# pass has not come yet): the delivery fails, the message waits
state alive
laptop_silent
send 4 a3@example.net
ok "the laptop silent: the delivery is deferred" deferred 1
like "$(grep -h 'status=deferred' "$D/home/maillog")" "to=<$RCPT>, relay=none, .*connect to $LAPTOP_IP" \
	"  trying the laptop ($LAPTOP_IP)"
is "$(count home 4) $(count laptop 4) $(queued)" "0 0 1" "  the message is in neither mailbox, it waits in the home queue"
laptop_back
flush
is "$(arrived 4)" "home:0 laptop:1" "the laptop answers again: the retry delivers it there, once"
flush
is "$(arrived 4) $(queued)" "home:0 laptop:1 0" "  another queue run: still once, the queue empty"

# deferred while alive, then the probe says away: the retry asks again once
# qmgr has resolved anything else since (or 30 s later), and goes home
laptop_silent
n=$(grep -c 'status=deferred' "$D/home/maillog")
send 5 a4@example.net
ok "deferred again while the laptop is silent" deferred $((n + 1))
state dead
send 6 a5@example.net bob@example.org	# other mail passes through the queue
for ((i = 0; i < 100; i++)); do grep -q 'to=<bob@example.org>.*status=sent' "$D/home/maillog" && break; sleep 0.1; done
n=$(asked)
flush
is "$(arrived 5) $(queued)" "home:1 laptop:0 0" "  the retry takes it home, once; the queue empty"
ok "  roam-redirectd was asked again for the retry" test "$(asked)" -gt "$n"
laptop_back
flush
is "$(count home 5) $(count laptop 5)" "1 0" "  and nothing follows to the laptop when it answers again"
[ -n "${PF_DEBUG:-}" ] && { cat "$D/redirectd.log" "$D/home/maillog" >&2; }
done_testing
