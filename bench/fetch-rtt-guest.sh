#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/fetch-rtt-guest.sh — runs inside the VM (bench/fetch-rtt.sh boots it).
#
# Two namespaces joined by a veth pair: "home" holds sshd (198.51.100.1) and
# dovecot (on home's own 127.0.0.1), "hotel" the clients (198.51.100.2). netem
# delays each direction by half the RTT. For each RTT, each client fetches the
# same freshly filled maildrop (bench/fetch-mix BENCH_RTT_MIX, seeded) once
# (BENCH_RUNS: the median of that many runs):
#   roam-fetch      into a Maildir (fsync'ed, batched), pipelined (dovecot says
#                   PIPELINING), and again with pipelining = no (one command at a time)
#   mpop            through ssh -f -N -L started in the timed run, into a Maildir
#   fetchmail       the seed's preconnect ssh -f -L … sleep 10, mda "cat >/dev/null"
# The Maildirs are on the guest's tmpfs (the VM has no disk of its own): fsync
# is nearly free here, for every client alike. Prints seconds and ratios; asserts
# nothing. TCG emulation makes every CPU-bound part slower than on the host, so
# compare the columns with each other, not with bench/fetch.
set -u
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
RTTS=${BENCH_RTTS:-0 10 40}
MIX=${BENCH_RTT_MIX:-200x2k-50k}
RUNS=${BENCH_RUNS:-1}
# binaries run from the guest's tmpfs: the work share is 9p without a page cache
cp "$ROAM_BUILD/roam-fetch" "$LAB_TMP/roam-fetch"
FETCH=$LAB_TMP/roam-fetch
modprobe sch_netem || { echo "bench/fetch-rtt: no sch_netem module in the guest" >&2; exit 1; }
for tool in mpop fetchmail tc; do
	command -v $tool >/dev/null || { echo "bench/fetch-rtt: $tool missing" >&2; exit 1; }
done

HOME_NS=$(lab_ns home) HOTEL=$(lab_ns hotel)
lab_link "$HOME_NS" 198.51.100.1/24 "$HOTEL" 198.51.100.2/24 || exit 1
IF_HOME=$LAB_LINK_IF1 IF_HOTEL=$LAB_LINK_IF2
lab_sshd --ns "$HOME_NS" 198.51.100.1 22 >/dev/null || exit 1
lab_dovecot --ns "$HOME_NS" 127.0.0.1 "$(lab_free_port)" >/dev/null || exit 1
# the client's known_hosts names 198.51.100.1 port 22, as lab_sshd wrote it
SSH_OPTS="${LAB_SSH_OPTS[*]} -p $LAB_SSH_PORT"
hotel() { ip netns exec "$HOTEL" "$@"; }

# rtt MS: netem on both ends, half each way (replaced, not stacked)
rtt() {
	local half
	half=$(awk -v r="$1" 'BEGIN { printf "%.1fms", r / 2 }')
	tc -n "$HOME_NS" qdisc replace dev "$IF_HOME" root netem delay "$half" limit 100000 &&
	tc -n "$HOTEL" qdisc replace dev "$IF_HOTEL" root netem delay "$half" limit 100000
}

roamconf() {
	cat >"$LAB_TMP/roam-$1.conf" <<-EOC
		[fetch]
		ssh_host = $LAB_SSH_HOST
		ssh_port = $LAB_SSH_PORT
		ssh_user = $LAB_SSH_USER
		identity = $LAB_SSH_KEY
		known_hosts = $LAB_SSH_KNOWN_HOSTS
		pop3_host = 127.0.0.1
		pop3_port = $LAB_POP3_PORT
		pop3_user = $LAB_POP3_USER
		password_file = $LAB_POP3_PASSFILE
		state_dir = $LAB_TMP/state-$1
		pipelining = $2
	EOC
	chmod 0600 "$LAB_TMP/roam-$1.conf"
}
roamconf pipe yes
roamconf lockstep no

mpoprc() {
	cat >"$LAB_TMP/mpoprc" <<-EOC
		defaults
		tls off
		auth user
		account bench
		host 127.0.0.1
		port $1
		user $LAB_POP3_USER
		passwordeval cat $LAB_POP3_PASSFILE
		delivery maildir $LAB_TMP/Maildir-mpop
		uidls_file $LAB_TMP/mpop-uidls
		keep off
	EOC
	chmod 0600 "$LAB_TMP/mpoprc"
}

fetchmailrc() {
	cat >"$LAB_TMP/fetchmailrc" <<-EOC
		set no syslog
		poll 127.0.0.1 with proto POP3 port $1
		  user "$LAB_POP3_USER" there with password "$LAB_POP3_PASS" is root here
		  sslproto ""
		  preconnect "ssh -f -L $1:127.0.0.1:$LAB_POP3_PORT $SSH_OPTS $LAB_SSH_USER@$LAB_SSH_HOST sleep 10"
		  mda "cat >/dev/null"
		  nokeep fetchall
	EOC
	chmod 0600 "$LAB_TMP/fetchmailrc"
}

mpop_via_ssh() {
	local lport rc ctl=$LAB_TMP/mpop-ssh.ctl
	lport=$((20000 + RANDOM % 20000))	# hotel is fresh: nothing listens there
	rm -rf "$LAB_TMP/Maildir-mpop"
	mkdir -p "$LAB_TMP/Maildir-mpop/tmp" "$LAB_TMP/Maildir-mpop/new" "$LAB_TMP/Maildir-mpop/cur"
	mpoprc "$lport"
	# shellcheck disable=SC2086 # SSH_OPTS is a list of words
	hotel ssh -f -N -M -S "$ctl" -o ExitOnForwardFailure=yes \
		-L "$lport:127.0.0.1:$LAB_POP3_PORT" $SSH_OPTS "$LAB_SSH_USER@$LAB_SSH_HOST" || return 2
	hotel mpop -C "$LAB_TMP/mpoprc" bench
	rc=$?
	hotel ssh -S "$ctl" -O exit x 2>/dev/null
	return $rc
}

client() {
	case $1 in
	roam-pipe|roam-lockstep)
		rm -rf "$LAB_TMP/Maildir"
		hotel "$FETCH" -c "$LAB_TMP/${1}.conf" --maildir "$LAB_TMP/Maildir" ;;
	mpop) mpop_via_ssh ;;
	fetchmail)
		# its "ssh -f … sleep 10" outlives it by up to 10 s, idle, on a port of
		# its own: every run takes another
		fetchmailrc "$((20000 + RANDOM % 20000))"
		mkdir -p "$LAB_TMP/fmhome"
		HOME=$LAB_TMP/fmhome hotel fetchmail -N --nosyslog -f "$LAB_TMP/fetchmailrc" \
			-i "$LAB_TMP/fmhome/fetchids" ;;
	esac
}

# the set, written once by bench/fetch-mix, hard-linked in under new names per run
SET=$LAB_TMP/set
mkdir -p "$SET"
# shellcheck disable=SC2086 # MIX is a list of specs
"$ROAM_TOP/bench/fetch-mix" "$SET" $MIX >"$SET.bytes" || exit 1
chown -R "$_LAB_MAIL_UID:$_LAB_MAIL_GID" "$SET"
chmod 0600 "$SET"/*
N=$(find "$SET" -type f | wc -l)
fill() {
	rm -f "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/*
	perl -e 'my ($from, $to, $tag) = @ARGV;
		opendir my $d, $from or die "$from: $!\n";
		for (sort grep { !/^\./ } readdir $d) {
			link "$from/$_", "$to/$tag.$_" or die "link $_: $!\n";
		}' "$SET" "$LAB_MAILDIR/new" "$BASHPID.${EPOCHREALTIME/[.,]/}"
}

now() { echo "${EPOCHREALTIME/,/.}"; }
# timed CLIENT: seconds of one run over a fresh maildrop; complaints on stderr
timed() {
	local t0 t1 rc left
	fill
	t0=$(now)
	client "$1" >"$LAB_TMP/out" 2>&1
	rc=$?
	t1=$(now)
	[ "$rc" = 0 ] || { echo "bench/fetch-rtt: $1 exited $rc:" >&2; tail -3 "$LAB_TMP/out" >&2; }
	left=$(find "$LAB_MAILDIR/new" "$LAB_MAILDIR/cur" -type f | wc -l)
	[ "$left" = 0 ] || echo "bench/fetch-rtt: $1 left $left messages on the server" >&2
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
clients=${BENCH_RTT_CLIENTS:-roam-pipe roam-lockstep mpop fetchmail}
declare -A t
for r in $RTTS; do
	rtt "$r" || { echo "bench/fetch-rtt: netem refused" >&2; exit 1; }
	measured=$(hotel ping -c 3 -i 0.2 -q 198.51.100.1 | awk -F/ '/^rtt/ { print $5 }')
	for c in $clients; do
		t[$r,$c]=$(for ((k = 0; k < RUNS; k++)); do timed "$c"; done | median)
	done
	t[$r,ping]=$measured
done

MB=$(awk -v b="$(cat "$SET.bytes")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "bench/fetch-rtt: $N messages, $MB MB ($MIX), dovecot + sshd in one namespace, the"
echo "  client in another, netem RTT on the veth between; median of $RUNS run(s), in a VM with" \
	"$(nproc) CPUs, load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) now"
printf '%-8s %8s %12s %14s %8s %10s %12s %14s\n' "RTT ms" "ping ms" "roam pipe s" \
	"roam 1-by-1 s" "mpop s" "fetchmail s" "mpop/roam" "fetchmail/roam"
for r in $RTTS; do
	printf '%-8s %8s %12s %14s %8s %10s %12s %14s\n' "$r" "${t[$r,ping]}" "${t[$r,roam-pipe]}" \
		"${t[$r,roam-lockstep]:--}" "${t[$r,mpop]}" "${t[$r,fetchmail]}" \
		"$(awk -v a="${t[$r,mpop]}" -v b="${t[$r,roam-pipe]}" 'BEGIN { printf "%.2f×", a / b }')" \
		"$(awk -v a="${t[$r,fetchmail]}" -v b="${t[$r,roam-pipe]}" 'BEGIN { printf "%.2f×", a / b }')"
done
echo "goals at 40 ms: roam-fetch ≤ 1.1× mpop's time (mpop/roam ≥ 0.91×), ≥ 10× faster than fetchmail"
