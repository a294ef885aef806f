#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# roam-redirect and its stdin, stdout and signals: a closed stdin, an empty
# and a 50 MB message (the writer must never get SIGPIPE), a closed stdout,
# and SIGTERM/SIGHUP/SIGALRM while it drains or probes: always one safe line
# and exit status 0.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/redirect-lib.sh"
lab_require_root
lab_init
plan 26

mail=$(lab_ns mail)
laptop=$(lab_ns laptop)
lab_link "$mail" 198.51.100.152/24 "$laptop" "$RL_TARGET/24"
rl_setup
rl_state alive
# always inside the mail namespace: should a state ever be stale, an own probe
# stays there too (ip netns exec execs: $! is roam-redirect's pid)
R=(ip netns exec "$mail" "$ROAM_BUILD/roam-redirect" -c "$RL/roam.conf")

out=$("${R[@]}" <&-); rc=$?
is "$out $rc" "$RL_ALIVE 0" "closed stdin: the decision as usual, exit 0"
out=$("${R[@]}" </dev/null); rc=$?
is "$out $rc" "$RL_ALIVE 0" "empty message"
out=$(head -c 50000000 /dev/zero | "${R[@]}"; echo " ${PIPESTATUS[*]}")
is "$out" "$RL_ALIVE
 0 0" "50 MB through a pipe: read to the end, the writer exits 0 (no SIGPIPE)"
rl_message 1 50000000 >"$LAB_TMP/big"
out=$("${R[@]}" <"$LAB_TMP/big"); rc=$?
is "$out $rc" "$RL_ALIVE 0" "50 MB from a file"
rl_conf "loop_header=X-Loop: roam@example.net"
out=$({ printf 'X-Loop: roam@example.net\n\n'; head -c 50000000 /dev/zero; } | "${R[@]}"
	echo " ${PIPESTATUS[*]}")
is "$out" "$RL_AWAY
 0 0" "50 MB after a loop header: away, and still read to the end"
rl_conf
# procmail itself, with a 50 MB message
rl_message 2 50000000 >"$LAB_TMP/big2"
rl_deliver "$LAB_TMP/big2" "$mail"
is "$(rl_where 2)" alive "a 50 MB message through procmail is forwarded"
xloop=$'X-Loop: roam@example.net\n'
is "$(stat -c %s "$RL/out/$RL_ALIVE/rl-2@test.example.net")" \
	"$(($(sed '1d' "$LAB_TMP/big2" | wc -c) + ${#xloop}))" "  complete: all but procmail's From_ line, plus the X-Loop line"

# stdout closed before it prints: EPIPE, not death by SIGPIPE
"${R[@]}" </dev/null | true
is "${PIPESTATUS[0]}" 0 "stdout closed early: exit 0"
"${R[@]}" </dev/null >&-
is "$?" 0 "stdout closed from the start: exit 0"

# waits until pid sits in a given system call (numbers of x86-64)
wait_syscall() {	# wait_syscall PID NAME SYSCALL_NR…
	local pid=$1 name=$2 i nr
	shift 2
	for ((i = 0; i < 1000; i++)); do
		read -r nr _ <"/proc/$pid/syscall" 2>/dev/null || return 1
		for n in "$@"; do [ "$nr" = "$n" ] && return 0; done
		sleep 0.01
	done
	diag "pid $pid never reached $name"
	return 1
}

# a message that stops half way: roam-redirect blocks in the drain
drain_then_signal() {	# drain_then_signal SIG → sets out, rc
	local fifo=$LAB_TMP/fifo.$1 pid
	mkfifo "$fifo"
	"${R[@]}" <"$fifo" >"$LAB_TMP/sig.out" &
	pid=$!
	exec 7>"$fifo"
	printf 'Subject: half\n\n' >&7
	head -c 300000 /dev/zero >&7
	# poll (7) once the pipe is empty: the drain waits there (a read could
	# still be the configuration's)
	wait_syscall "$pid" drain 7 && kill -s "$1" "$pid"
	wait "$pid"; rc=$?
	exec 7>&-
	out=$(cat "$LAB_TMP/sig.out")
	rm -f "$fifo"
}
for sig in TERM HUP ALRM; do
	drain_then_signal $sig
	is "$out $rc" "$RL_AWAY 0" "SIG$sig while draining: the away target, exit 0"
done
like "$(wc -l <"$LAB_TMP/sig.out")" '^1$' "  exactly one line"
# a crash answers too, outside sanitizer builds (there it must stay a report)
if grep -q __asan_init "$ROAM_BUILD/roam-redirect"; then
	skip "SIGSEGV while draining: the away target, exit 0" "sanitizer build"
else
	drain_then_signal SEGV
	is "$out $rc" "$RL_AWAY 0" "SIGSEGV while draining: the away target, exit 0"
fi

# a writer that never closes (a hung MDA chain): read_timeout ends the whole
# run with the decided target; the header rules still see the header
never_closed() {	# never_closed → sets out, rc, ms
	local fifo=$LAB_TMP/fifo.open t0
	mkfifo "$fifo"
	exec 7<>"$fifo"	# read-write: the writer end stays open with us
	printf 'From: a@example.org\nSubject: open\n\nbody\n' >&7
	t0=$(date +%s%N)
	out=$("${R[@]}" <"$fifo"); rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	exec 7>&-
	rm -f "$fifo"
}
rl_conf read_timeout=700
never_closed
is "$out $rc" "$RL_ALIVE 0" "stdin never closed: the decided target (alive), exit 0"
ok "  after read_timeout, not for ever ($ms ms)" test "$ms" -ge 700 -a "$ms" -lt 5000
rl_conf read_timeout=700 "skip_from=*@example.org"
never_closed
is "$out $rc" "$RL_AWAY 0" "  with a header rule that matches: away"
rl_conf read_timeout=700 max_size=100000
never_closed
is "$out $rc" "$RL_AWAY 0" "  with max_size: its size is unknown, away"
rl_conf

# a signal while it probes: stale state, silent laptop, long deadline
ip -n "$laptop" addr del "$RL_TARGET/24" dev "$LAB_LINK_IF2"
rl_state stale
rl_conf deadline=20000 method=tcp:25
"${R[@]}" </dev/null >"$LAB_TMP/probe.out" &
pid=$!
# epoll_wait (232), poll (7), ppoll (271), connect (42): it is probing
wait_syscall "$pid" probe 232 7 271 281 42 && kill -TERM "$pid"
wait "$pid"; rc=$?
is "$(cat "$LAB_TMP/probe.out") $rc" "$RL_AWAY 0" "SIGTERM during the own probe: away, exit 0"

# no signal: the deadline alone ends the probe
rl_conf deadline=300 method=tcp:25
out=$("${R[@]}" </dev/null); rc=$?
is "$out $rc" "$RL_AWAY 0" "silent target, deadline 300 ms passed: away, exit 0"

# LOGNAME garbage and no away configured: the uid's name, never the garbage
rl_conf; sed -i '/^away = /d' "$RL/roam.conf"
rl_state dead
for bad in '-oi' 'a b' 'x;reboot' '' $'nl\nx'; do
	out=$(LOGNAME=$bad "${R[@]}" </dev/null)
	is "$out" root "LOGNAME '${bad//$'\n'/\\n}' is not printed: the uid's name is"
done
# and when the uid has no passwd entry either: postmaster, delivered locally
out=$(LOGNAME='a b' ip netns exec "$mail" setpriv --reuid 54321 --regid 54321 --clear-groups \
	"$ROAM_BUILD/roam-redirect" -c "$RL/roam.conf" </dev/null)
is "$out" postmaster "bad LOGNAME, uid without a passwd entry: postmaster"
done_testing
