#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# roam-redirect under a real procmail with contrib/procmailrc: where each
# message ends up (alive target, away target, normal mailbox), and the own
# probe against a laptop in a namespace, alive (dgram, tcp) and silent.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/redirect-lib.sh"
lab_require_root
command -v procmail >/dev/null || { echo "1..0 # SKIP no procmail"; exit 0; }
lab_init
plan 23

mail=$(lab_ns mail)
laptop=$(lab_ns laptop)
lab_link "$mail" 198.51.100.152/24 "$laptop" "$RL_TARGET/24"
rl_setup
n=0

# delivers a new message through procmail in the mail namespace; $where: where it went
send() {
	n=$((n + 1))
	rl_message "$n" 500 "$@" >"$LAB_TMP/m$n"
	rl_deliver "$LAB_TMP/m$n" "$mail"
	where=$(rl_where "$n")
}

rl_state alive
send
is "$where" alive "fresh alive state: forwarded to the alive target"
is "$(tail -n1 "$RL/sendmail.log" | cut -d' ' -f2-)" "-oi $RL_ALIVE" "sendmail got -oi and one recipient"
rl_state dead
send
is "$where" away "fresh dead state: the away target"
rl_state corrupt
send
is "$where" away "corrupt state file: the away target"
rl_state alive
send "X-Test-Sendmail: fail"
is "$where" inbox ":0 w: a failing sendmail falls through to the normal mailbox"
send "X-Loop: roam@example.net"
is "$where" inbox "procmail's X-Loop guard: a message that came back stays here"
like "$(grep -c '^X-Loop: roam@example.net' "$RL/out/$RL_ALIVE/rl-1@test.example.net")" '^1$' \
	"the forwarded copy carries the X-Loop line"

rl_conf "loop_header=X-Loop: laptop@example.net"
send "X-Loop: laptop@example.net"
is "$where" away "loop_header in the message: the away target"
rl_conf "skip_from=*@lists.example.net, mailer-daemon*"
send "Sender: x" "From: List <news@Lists.Example.NET>"
is "$where" away "skip_from matches the From: address"
rl_conf "max_size=2000"
n=$((n + 1)); rl_message $n 5000 >"$LAB_TMP/m$n"; rl_deliver "$LAB_TMP/m$n" "$mail"
is "$(rl_where $n)" away "a message above max_size: the away target"
send
is "$where" alive "a message below max_size: forwarded"

# away unset: procmail's $LOGNAME (root here)
rl_conf; sed -i '/^away = /d' "$RL/roam.conf"
rl_state dead
send
is "$(tail -n1 "$RL/sendmail.log" | cut -d' ' -f2-)" "-oi root" "away unset: \$LOGNAME"
echo "[redirect]" >"$RL/roam.conf"; echo "tagret = 1" >>"$RL/roam.conf"
send
is "$(tail -n1 "$RL/sendmail.log" | cut -d' ' -f2-)" "-oi root" "broken config: still one safe recipient, \$LOGNAME"
rl_conf
rl_state alive
is "$(ip netns exec "$mail" "$ROAM_BUILD/roam-redirect" -c "$RL/roam.conf" --bogus </dev/null 2>/dev/null)" "$RL_AWAY" \
	"a bad option: the configured away target, not the alive one"

# ---- the own probe: stale or missing state, target in the laptop namespace
redirect() {	# roam-redirect in the mail namespace, -v, empty message; sets out, err
	out=$(ip netns exec "$mail" "$ROAM_BUILD/roam-redirect" -c "$RL/roam.conf" -v "$@" \
		</dev/null 2>"$LAB_TMP/err")
	err=$(cat "$LAB_TMP/err")
}
rl_state stale
ip netns exec "$mail" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
rl_conf method=dgram deadline=2000
redirect
is "$out" "$RL_ALIVE" "stale state, laptop alive: dgram probe says alive"
like "$err" "own probe \\(dgram\\): alive" "  and it was the dgram method"
ip netns exec "$mail" sysctl -qw net.ipv4.ping_group_range="1 0"
rl_conf method=auto deadline=2000
redirect
like "$err" "own probe \\(tcp\\): alive" "dgram not allowed: auto falls back to tcp (a refusal is alive)"
rl_state missing
rl_conf method=tcp:22 deadline=2000
redirect
is "$out" "$RL_ALIVE" "no state file, laptop alive: tcp probe says alive"
rl_state stale
before=$(stat -c '%i %Y %s' "$RL/state/$RL_TARGET"; ls -A "$RL/state"; cat "$RL/state/$RL_TARGET")
redirect
is "$(stat -c '%i %Y %s' "$RL/state/$RL_TARGET"; ls -A "$RL/state"; cat "$RL/state/$RL_TARGET")" \
	"$before" "a probe on a stale state leaves the state file (and its directory) alone"

# silent laptop: its address is gone, ARP goes unanswered
ip -n "$laptop" addr del "$RL_TARGET/24" dev "$LAB_LINK_IF2"
rl_conf method=auto deadline=300
redirect
is "$out" "$RL_AWAY" "stale state, laptop silent: deadline passed, away"
like "$err" "no answer within the deadline" "  and the log says why"
rl_state missing
n=$((n + 1)); rl_message $n 500 >"$LAB_TMP/m$n"; rl_deliver "$LAB_TMP/m$n" "$mail"
is "$(rl_where $n)" away "through procmail: no state, silent laptop: away"
rl_state alive
rl_deliver "$LAB_TMP/m$n" "$mail" 2>/dev/null
is "$(rl_where $n)" "alive away" "the same message again with a fresh alive state: forwarded (two copies now)"
done_testing
