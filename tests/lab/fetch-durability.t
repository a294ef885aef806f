#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch never loses a message and never delivers one twice, whatever
# happens mid-run: kill -9 at random moments (into a Maildir, an mbox, an
# MDA), the ssh connection dropped mid-message, the POP3 server restarted, a
# full disk, a failing MDA.
# Real sshd and dovecot on 127.0.0.1 (tests/lab/lib.sh). dovecot says
# PIPELINING, so the runs are pipelined (RFC 2449: RETRs sent ahead, DELEs
# not waiting for their replies; checked below); a few kill trials run with
# pipelining = no, one command at a time.
#
# "Same mail" is checked by content: the multiset of the md5 of every message
# delivered (new/ and cur/) equals that of the messages the server held before
# the run — so a lost, truncated or duplicated message all show.
#
# A kill that lands between a Maildir batch's move into new/ and the write of
# its UIDL record (about 1 ms per batch of 50) used to make the next run
# deliver that batch again (one run of this file in three). Each Maildir file
# now carries its UIDL in its name (NAME,U=UIDL,S=SIZE), and a run records a
# UIDL it finds there instead of delivering it again; the section "delivered
# but not recorded" below reproduces that window deterministically.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
# FETCH, digests, server_digests, server_count, fresh_server; conf and fetch
# are this file's own (below: other defaults, and fetch returns the exit status)
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
lab_require_root
fetch_require_binary
lab_init
TRIALS=${ROAM_FETCH_TRIALS:-25}
LOCKSTEP_TRIALS=${ROAM_FETCH_LOCKSTEP_TRIALS:-5}
MBOX_TRIALS=${ROAM_FETCH_MBOX_TRIALS:-12}
MDA_TRIALS=${ROAM_FETCH_MDA_TRIALS:-3}
KILLS=${ROAM_FETCH_KILLS:-3}	# kill -9 per trial, before the run that completes
MDA_KILLS=${ROAM_FETCH_MDA_KILLS:-2}	# an MDA run is about three times longer

# ---- helpers -------------------------------------------------------------------

# conf NAME [LINE…]: a config with its own state directory (LINEs added);
# prints its path
conf() {
	local dir=$LAB_TMP/$1
	mkdir -p "$dir"
	shift
	{
	cat <<-EOF2
		[fetch]
		ssh_host = $LAB_SSH_HOST
		ssh_port = $LAB_SSH_PORT
		ssh_user = $LAB_SSH_USER
		identity = $LAB_SSH_KEY
		known_hosts = $LAB_SSH_KNOWN_HOSTS
		pop3_host = $LAB_POP3_HOST
		pop3_port = $LAB_POP3_PORT
		pop3_user = $LAB_POP3_USER
		password_file = $LAB_POP3_PASSFILE
		state_dir = $dir/state
		timeout = 10
	EOF2
	printf '%s\n' "$@"
	} >"$dir/roam.conf"
	echo "$dir/roam.conf"
}

# fetch CONF ARGS…: one bounded run; its status is the result
fetch() {
	local c=$1
	shift
	timeout -k 5 120 "$FETCH" -c "$c" "$@"
}

# same_mail DIR…: what DIRs hold is exactly what the server held, each once
same_mail() {
	local got=$LAB_TMP/got
	digests "$@" >"$got" || return 1
	if ! cmp -s "$LAB_TMP/orig" "$got"; then
		echo "delivered $(wc -l <"$got") of $(wc -l <"$LAB_TMP/orig");" \
			"duplicates: $(uniq -d "$got" | wc -l);" \
			"missing: $(sort -u "$got" | comm -23 "$LAB_TMP/orig" - | wc -l);" \
			"unknown (altered or foreign): $(sort -u "$got" | comm -13 "$LAB_TMP/orig" - | wc -l)"
		show_unknown "$@"
		return 1
	fi
}

# show_unknown DIR…: the delivered files that match no original: size, subject, end
show_unknown() {
	local f
	find "$@" -maxdepth 1 -type f ! -name '.*' -exec md5sum {} + | sort |
		while read -r sum f; do
			grep -qx "$sum" "$LAB_TMP/orig" && continue
			echo "unknown: $f, $(stat -c %s "$f") bytes, $(grep -m1 '^Subject:' "$f")," \
				"last line: $(tail -c 60 "$f" | tail -n 1)"
		done
}

# nothing_lost DIR…: every original message is on the server (or in the
# digests file $SERVER_THEN when set) or delivered, and nothing was delivered
# twice (checked while messages are still in flight)
nothing_lost() {
	local got=$LAB_TMP/got
	digests "$@" >"$got" || return 1
	[ -z "$(uniq -d "$got")" ] || { echo "duplicates: $(uniq -d "$got" | wc -l)"; return 1; }
	{ cat "$got"; if [ -n "${SERVER_THEN:-}" ]; then cat "$SERVER_THEN"; else server_digests; fi; } |
		sort -u >"$LAB_TMP/both"
	[ -z "$(comm -23 "$LAB_TMP/orig" "$LAB_TMP/both")" ] ||
		{ echo "lost: $(comm -23 "$LAB_TMP/orig" "$LAB_TMP/both" | wc -l)"; return 1; }
}

server_empty() { [ "$(server_count)" = 0 ] || { echo "$(server_count) left"; return 1; }; }

# run_bg CONF ARGS…: roam-fetch itself in the background (not a function or a
# wrapper: kill -9 must hit roam-fetch), its pid in $pid
run_bg() {
	local c=$1
	shift
	"$FETCH" -c "$c" "$@" &
	pid=$!
}

# ---- servers -------------------------------------------------------------------

ok "sshd starts" lab_sshd 127.0.0.1 || { done_testing; }
ok "dovecot starts" lab_dovecot 127.0.0.1 || { done_testing; }

# ---- kill -9 at random moments -------------------------------------------------

# one untimed full run tells how long a run lasts, so kills land inside one
fresh_server 300
c=$(conf calibrate)
t0=$EPOCHREALTIME
fetch "$c" -vv --maildir "$LAB_TMP/calibrate/Maildir" 2>"$LAB_TMP/calibrate/log"
rc=$?
run_ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
is "$rc" 0 "a 300-message run retrieves mail (exit 0)"
ok "a 300-message run delivers each message once" same_mail "$LAB_TMP/calibrate/Maildir/new"
note "a full 300-message run took $run_ms ms"
like "$(grep -c '^roam-fetch: > RETR' "$LAB_TMP/calibrate/log") $(grep -m1 'POP3 pipelining' "$LAB_TMP/calibrate/log")" \
	'^300 .*pipelining \(RFC 2449\)' "the runs are pipelined (dovecot says PIPELINING), 300 RETRs"
# RETRs sent before the reply to the one before: in the -vv log, a "> RETR"
# line that follows another "> RETR" without a "<" reply between them
like "$(awk '/^roam-fetch: > RETR/ { if (prev) n++; prev = 1; next }
	/^roam-fetch: </ { prev = 0 } END { print n + 0 }' "$LAB_TMP/calibrate/log")" \
	'^([5-9][0-9]|[1-9][0-9]{2,})$' "RETRs go out ahead of their replies (at least 50 of 300)"

# ---- delivered but not recorded ------------------------------------------------

# The window a kill -9 can hit between deliver_sync and uidl_save, made on
# purpose: a keep run fills the Maildir, then a run with an empty UIDL record
# (its own state_dir) sees the same messages. A reader has meanwhile moved
# some to cur/ and flagged them. Nothing may be delivered twice; all go.
fresh_server 20
c=$(conf unrecorded-keep)
md=$LAB_TMP/unrecorded/Maildir
mkdir -p "${md%/*}"
fetch "$c" --keep --maildir "$md"
is "$?" 0 "unrecorded: a keep run delivers (exit 0)"
is "$(ls "$md/new" | grep -c ',U=[0-9a-f]\{8\}\.[!-~]*,S=[0-9]*$')" 20 \
	"unrecorded: each name carries the account's hash and the UIDL"
for f in $(find "$md/new" -type f | head -n 7); do
	mv "$f" "$md/cur/${f##*/}:2,S"
done
c=$(conf unrecorded)
fetch "$c" --maildir "$md" 2>"$LAB_TMP/unrecorded/err"
is "$?" 1 "unrecorded: a run without the record delivers nothing (exit 1)"
ok "unrecorded: every message is there exactly once (new/ and cur/)" \
	same_mail "$md/new" "$md/cur"
ok "unrecorded: the server is emptied" server_empty
is "$(cat "$LAB_TMP/unrecorded/state/"*.uidl 2>/dev/null | grep -vc '^roam-fetch uidl')" 20 \
	"unrecorded: the 20 UIDLs found in the Maildir are recorded"

# killed_then_done NAME SCALE CHECK ARGS…: a fresh server of 300 messages; roam-fetch
# ARGS… (with NAME's config, plus $CONF_LINE when set) killed $KILLS times at a
# random moment within SCALE full runs, CHECK (a command line) after each
# kill; then one run to the end, which must exit 0 or 1
killed_then_done() {
	local c name=$1 scale=$2 check=$3 pid k delay rc
	shift 3
	c=$(conf "$name" ${CONF_LINE:+"$CONF_LINE"})
	fresh_server 300 || return 1
	for ((k = 1; k <= KILLS; k++)); do
		run_bg "$c" "$@" 2>/dev/null
		delay=$(awk -v ms="$((scale * run_ms))" -v r="$RANDOM" \
			'BEGIN { printf "%.3f", ms * r / 32767 / 1000 }')
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		$check || { echo "after kill $k at ${delay}s"; return 1; }
	done
	fetch "$c" "$@" 2>"$LAB_TMP/$name/err"
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 1 ] ||
		{ echo "final run: exit $rc: $(cat "$LAB_TMP/$name/err")"; return 1; }
}

# kill_trial N: into a Maildir
kill_trial() {
	local md=$LAB_TMP/trial$1/Maildir
	killed_then_done "trial$1" 1 "nothing_lost $md/new" --maildir "$md" &&
		same_mail "$md/new" && server_empty
}
for ((i = 1; i <= TRIALS; i++)); do
	ok "kill -9 trial $i: every message delivered exactly once, server emptied" kill_trial "$i"
done
CONF_LINE="pipelining = no"
for ((i = TRIALS + 1; i <= TRIALS + LOCKSTEP_TRIALS; i++)); do
	ok "kill -9 trial $i, one command at a time: every message exactly once, server emptied" \
		kill_trial "$i"
done
CONF_LINE=

# ---- kill -9 into an mbox --------------------------------------------------------

# mbox_nothing_lost MBOX DIR: nothing_lost on MBOX's messages, split into DIR
mbox_nothing_lost() { mbox_split "$1" "$2" && nothing_lost "$2"; }

# mbox_trial N: like kill_trial, into an mbox. A batch holds the mbox locked,
# its messages carry X-Roam-Tmp markers until deliver_sync flips them, and a
# journal says where it starts: the next run keeps what became durable and
# cuts off what did not (fetch/deliver_recover.c).
mbox_trial() {
	local mb=$LAB_TMP/mbox$1/inbox split=$LAB_TMP/mbox$1/split
	killed_then_done "mbox$1" 1 "mbox_nothing_lost $mb $split" --mbox "$mb" || return 1
	! grep -q '^X-Roam-Tmp: ' "$mb" || { echo "an unconfirmed marker is left"; return 1; }
	[ ! -e "$mb.lock" ] || { echo "the dot lock is left"; return 1; }
	mbox_split "$mb" "$split" && same_mail "$split" && server_empty
}
for ((i = 1; i <= MBOX_TRIALS; i++)); do
	ok "mbox kill -9 trial $i: every message delivered exactly once, server emptied" \
		mbox_trial "$i"
done

# ---- kill -9 into an MDA ---------------------------------------------------------

# An MDA starts only once its message is whole (spooled), and its UIDL is
# recorded as soon as it exits 0, not in batches. A kill while it runs leaves
# it to finish: that one message is delivered again by the next run, whole;
# never a part, never a loss.
mda_trial() {
	local out=$LAB_TMP/mdakill$1/out dups
	mkdir -p "$out"
	# an MDA run takes about three times longer; the MDA's $$ and date name its file
	# shellcheck disable=SC2016
	KILLS=$MDA_KILLS killed_then_done "mdakill$1" 3 : --mda 'cat >'"$out"'/m.$$.$(date +%s%N)' || return 1
	server_empty || return 1
	digests "$out" | sort -u >"$LAB_TMP/got" &&
		[ -z "$(comm -23 "$LAB_TMP/orig" "$LAB_TMP/got")" ] || { echo "lost mail"; return 1; }
	[ -z "$(comm -13 "$LAB_TMP/orig" "$LAB_TMP/got")" ] ||
		{ echo "an MDA got part of a message as a whole one"; return 1; }
	dups=$(( $(ls "$out" | wc -l) - $(wc -l <"$LAB_TMP/orig") ))
	MDA_DUPS=$((MDA_DUPS + dups))
	[ "$dups" -le "$MDA_KILLS" ] || { echo "$dups delivered twice after $MDA_KILLS kills"; return 1; }
}
MDA_DUPS=0
for ((i = 1; i <= MDA_TRIALS; i++)); do
	ok "MDA kill -9 trial $i: nothing lost or cut, at most one message twice per kill" mda_trial "$i"
done
note "MDA kill -9 trials: $MDA_DUPS message(s) delivered twice after $((MDA_KILLS * MDA_TRIALS)) kills"

# recovers LABEL CONF MAILDIR: after a run that broke, nothing is lost or twice,
# the next run completes, every message is there exactly once, the server empty
recovers() {
	local label=$1 c=$2 md=$3 rc
	ok "$label: nothing lost, nothing twice" nothing_lost "$md/new"
	fetch "$c" --maildir "$md"
	rc=$?
	like "$rc" '^[01]$' "$label: the next run completes ($rc)"
	ok "$label: every message delivered exactly once" same_mail "$md/new"
	ok "$label: the server is empty" server_empty
}

# ---- the ssh connection dropped mid-message ------------------------------------

fresh_server 40 1000000
c=$(conf sshdrop)
md=$LAB_TMP/sshdrop/Maildir
run_bg "$c" --maildir "$md" 2>"$LAB_TMP/sshdrop/err"
if wait_in_flight "$md" "$pid"; then
	# the per-connection sshd processes, not the listener: the connection drops
	# shellcheck disable=SC2046
	kill -KILL $(ps -o pid= --ppid "$LAB_SSHD_PID") 2>/dev/null
	wait "$pid"
	rc=$?
	like "$rc" '^([2-7])$' "ssh dropped mid-message: roam-fetch fails with a fetchmail code ($rc)"
else
	wait "$pid"
	rc=$?
	skip "ssh dropped mid-message: roam-fetch fails with a fetchmail code" \
		"the run ended (exit $rc) before a message was in flight"
fi
recovers "ssh dropped" "$c" "$md"

# ---- the POP3 server restarted mid-run -----------------------------------------

fresh_server 40 1000000
c=$(conf pop3restart)
md=$LAB_TMP/pop3restart/Maildir
run_bg "$c" --maildir "$md" 2>"$LAB_TMP/pop3restart/err"
if wait_in_flight "$md" "$pid"; then
	old=$LAB_DOVECOT_PID
	# the session dies first, at once: while a graceful stop takes its time, a
	# fast pipelined run could fetch the rest and end well (seen under load)
	# shellcheck disable=SC2046
	kill -KILL $(ps -o pid= -o comm= --ppid "$old" | awk '$2 == "pop3" { print $1 }') 2>/dev/null
	lab_dovecot_stop
	# the master may still be dying (it is not our child): wait until it is gone
	for ((i = 0; i < 500; i++)); do kill -0 "$old" 2>/dev/null || break; sleep 0.01; done
	wait "$pid"
	rc=$?
	like "$rc" '^([2-7])$' "POP3 server stopped mid-run: roam-fetch fails with a fetchmail code ($rc)"
	ok "dovecot starts again" lab_dovecot_start
else
	wait "$pid"
	rc=$?
	skip "POP3 server stopped mid-run: roam-fetch fails" "the run ended (exit $rc) first"
	skip "dovecot starts again" "not stopped"
fi
recovers "POP3 restart" "$c" "$md"

# ---- a full disk ---------------------------------------------------------------

# A 512 KiB tmpfs in a private mount namespace: the mount exists only for the
# commands below and disappears with them. 40 × 40 KB do not fit; after the
# remount (space returns) the rest comes.
fresh_server 40 40000
c=$(conf full)
mnt=$LAB_TMP/full/mnt
mkdir -p "$mnt"
unshare -m --propagation private bash -c '
	mnt=$1 fetch=$2 conf=$3 out=$4 server=$5
	mount -t tmpfs -o size=512k,mode=0700 roam-lab-full "$mnt" || exit 99
	timeout -k 5 120 "$fetch" -c "$conf" --maildir "$mnt/Maildir" 2>"$out/err1"
	echo $? >"$out/rc1"
	cp -a "$mnt/Maildir" "$out/at-full"
	find "$server/new" "$server/cur" -type f -exec md5sum {} + | cut -d" " -f1 |
		sort >"$out/server-at-full"
	mount -o remount,size=64m "$mnt" || exit 99
	timeout -k 5 120 "$fetch" -c "$conf" --maildir "$mnt/Maildir" 2>"$out/err2"
	echo $? >"$out/rc2"
	cp -a "$mnt/Maildir" "$out/after"
' _ "$mnt" "$FETCH" "$c" "$LAB_TMP/full" "$LAB_MAILDIR"
is "$?" 0 "full disk: a private tmpfs is mounted and the runs happen"
is "$(cat "$LAB_TMP/full/rc1" 2>/dev/null)" 6 "full disk: roam-fetch exits 6 (local I/O error)"
like "$(cat "$LAB_TMP/full/err1" 2>/dev/null)" 'No space left|File too large' \
	"full disk: the error says why"
SERVER_THEN=$LAB_TMP/full/server-at-full
ok "full disk: nothing lost, nothing twice" nothing_lost "$LAB_TMP/full/at-full/new"
SERVER_THEN=
ok "full disk: no partial message left in tmp/" \
	test -z "$(ls -A "$LAB_TMP/full/at-full/tmp" 2>/dev/null)"
is "$(cat "$LAB_TMP/full/rc2" 2>/dev/null)" 0 "full disk: after space returns the next run retrieves mail"
ok "full disk: every message delivered exactly once" same_mail "$LAB_TMP/full/after/new"
ok "full disk: the server is empty" server_empty
ok "full disk: the tmpfs went with its namespace" \
	test -z "$(findmnt -rn -o TARGET | grep -F "$mnt")"

# ---- a failing MDA -------------------------------------------------------------

fresh_server 5
c=$(conf mda)
fetch "$c" --mda 'cat >/dev/null; exit 75' 2>"$LAB_TMP/mda/err"
is "$?" 10 "failing MDA: roam-fetch exits 10"
like "$(cat "$LAB_TMP/mda/err")" 'exit status 75' "failing MDA: the error names its status"
is "$(server_count)" 5 "failing MDA: every message stays on the server"

# an MDA that takes two messages, then fails: those two go, the rest stays
out=$LAB_TMP/mda/out
mkdir -p "$out"
# shellcheck disable=SC2016  # for the MDA's shell
mda='n=$(ls '"$out"' | wc -l); [ "$n" -lt 2 ] || exit 1; cat >'"$out"'/m$n'
fetch "$c" --mda "$mda" 2>/dev/null
is "$?" 10 "MDA failing on the third message: roam-fetch exits 10"
is "$(ls "$out" | wc -l)" 2 "MDA failing on the third message: two delivered"
ok "MDA failing on the third message: nothing lost, nothing twice" nothing_lost "$out"
fetch "$c" --maildir "$LAB_TMP/mda/Maildir"
like "$?" '^[01]$' "after the MDA failure a Maildir run completes"
ok "MDA then Maildir: every message delivered exactly once" \
	same_mail "$out" "$LAB_TMP/mda/Maildir/new"
ok "MDA then Maildir: the server is empty" server_empty

# an MDA that takes the message and never exits: killed (with the commands it
# started) after `timeout`, a delivery failure, the mail stays on the server
fresh_server 2
c=$(conf mdahang)
sed -i 's/^timeout = .*/timeout = 2/' "$c"
fetch "$c" --mda 'cat >/dev/null; sleep 600 | sleep 600' 2>"$LAB_TMP/mdahang/err"
is "$?" 10 "hanging MDA: roam-fetch exits 10 after the timeout"
like "$(cat "$LAB_TMP/mdahang/err")" 'did not exit for 2 s' "hanging MDA: the error says why"
is "$(server_count)" 2 "hanging MDA: every message stays on the server"

done_testing
