#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 300 messages of mixed sizes through a real procmail with contrib/procmailrc
# while another process flips the state file between alive, dead, stale,
# corrupt and missing (stale and missing make roam-redirect probe the laptop in
# its namespace), and the recording sendmail fails on demand for some: every
# message must end up exactly once at exactly one of the alive target, the
# away target or the normal mailbox, intact.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/redirect-lib.sh"
lab_require_root
command -v procmail >/dev/null || { echo "1..0 # SKIP no procmail"; exit 0; }
lab_init
plan 8

N=300
mail=$(lab_ns mail)
laptop=$(lab_ns laptop)
lab_link "$mail" 198.51.100.152/24 "$laptop" "$RL_TARGET/24"
rl_setup
rl_conf method=tcp:25 deadline=300

# mixed sizes, fixed seed: mostly small, every 10th 200 kB, every 60th 3 MB;
# every 7th message makes sendmail fail (it must land in the normal mailbox)
RANDOM=4242
mkdir "$LAB_TMP/msgs"
for ((i = 1; i <= N; i++)); do
	size=$((200 + RANDOM % 20000))
	((i % 10 == 0)) && size=200000
	((i % 60 == 0)) && size=3000000
	hdr=()
	((i % 7 == 0)) && hdr=("X-Test-Sendmail: fail")
	rl_message "$i" "$size" "${hdr[@]}" >"$LAB_TMP/msgs/$i"
done

flipper() {
	local s
	while [ ! -e "$LAB_TMP/stop" ]; do
		for s in alive dead stale corrupt missing; do
			rl_state "$s"
			sleep 0.002
		done
	done
}
flipper &
flip=$!

# one shell in the mail namespace delivers them one after the other
ip netns exec "$mail" bash -c '
	for ((i = 1; i <= '"$N"'; i++)); do
		procmail -m "$1" <"$2/$i" || echo "procmail failed on $i: $?"
	done' - "$RL/procmailrc" "$LAB_TMP/msgs" >"$LAB_TMP/deliver.out" 2>&1
touch "$LAB_TMP/stop"
wait "$flip"
is "$(cat "$LAB_TMP/deliver.out")" "" "procmail delivered all $N messages without complaint"

# where each Message-ID ended up: out/RCPT/ID files and the Maildir
{
	for f in "$RL"/out/*/rl-*; do d=${f%/*}; echo "${f##*/} ${d##*/}"; done
	for f in "$RL"/inbox/new/*; do
		echo "$(sed -n 's/^Message-ID: <\(.*\)>$/\1/p' "$f" | head -n1) inbox"
	done
} | sort >"$LAB_TMP/where"
dup=$(cut -d' ' -f1 "$LAB_TMP/where" | uniq -d | head -n3 | tr '\n' ' ')
is "$dup" "" "no message was delivered twice"
is "$(cut -d' ' -f1 "$LAB_TMP/where" | sort -u | wc -l)" "$N" "all $N messages arrived somewhere"
is "$(awk '$2 != "'"$RL_ALIVE"'" && $2 != "'"$RL_AWAY"'" && $2 != "inbox"' "$LAB_TMP/where")" "" \
	"only at the alive target, the away target or the normal mailbox"
want_fail=$(for ((i = 7; i <= N; i += 7)); do echo "rl-$i@test.example.net inbox"; done | sort)
is "$(grep ' inbox$' "$LAB_TMP/where")" "$want_fail" \
	"exactly the messages whose sendmail failed are in the normal mailbox (:0 w)"
alive=$(grep -c " $RL_ALIVE\$" "$LAB_TMP/where")
away=$(grep -c " $RL_AWAY\$" "$LAB_TMP/where")
note "alive target: $alive, away target: $away, normal mailbox: $(grep -c ' inbox$' "$LAB_TMP/where")"
ok "both targets were chosen while the state flipped" test "$alive" -gt 0 -a "$away" -gt 0
is "$(awk '{ print $2, NF }' "$RL/sendmail.log" | sort -u | tr '\n' ' ')" "-oi 3 " \
	"sendmail always got -oi and exactly one recipient"

# the bodies arrived intact (procmail's From_ line and our X-Loop aside)
bad=
while read -r id where; do
	i=${id#rl-}; i=${i%@*}
	if [ "$where" = inbox ]; then
		f=$(grep -l -F "Message-ID: <$id>" "$RL"/inbox/new/*)
	else
		f=$RL/out/$where/$id
	fi
	cmp -s <(sed '1,/^$/d' "$f") <(sed '1,/^$/d' "$LAB_TMP/msgs/$i") || bad="$bad $i"
done <"$LAB_TMP/where"
is "$bad" "" "every body arrived byte for byte"
done_testing
