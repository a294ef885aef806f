#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/fetch-imap.sh — roam-fetch's IMAP beside its POP3 and beside the IMAP
# peers mbsync (isync) and getmail6, for the same mailbox in one run.
# Figures, not assertions: nothing here fails because something is slow.
#
#   The mailbox: bench/fetch-mix (seeded, the same for every client and run),
#   default 500 messages of 2–50 KB and 30 of 100 KB–2 MB (log-uniform).
#   From a private dovecot (pop3 + imap), through a private sshd, both on 127.0.0.1:
#     roam-fetch imap   protocol = imap over one libssh2 channel
#     roam-fetch pop3   the same mailbox over POP3 (pipelined)
#     mbsync            1.4 (Debian), Tunnel "ssh -W 127.0.0.1:IMAPPORT …" (its stdio)
#     getmail6          SimpleIMAPRetriever through "ssh -f -N -L …", started in the timed run
#   All keep the mail on the server (mbsync only downloads; getmail6 delete =
#   false; roam-fetch keep = yes) and deliver into a Maildir on a disk. A
#   second roam-fetch imap row deletes (UID STORE \Deleted + UID EXPUNGE).
#   Each figure is the median of BENCH_RUNS runs (3), every run on a freshly
#   filled folder (new UIDs) with fresh client state.
#   Then the push latency of roam-fetch --watch (IMAP IDLE): BENCH_ARRIVALS (50)
#   messages appended to the server's folder one at a time, each timed from
#   the start of its append (lab_fill_mailbox) to its file in the Maildir: median, max
#   (the goal of issue 18: at most 1 s). No peer: mbsync has no IDLE, and
#   getmail6 idles only with one process per folder and no durable record.
#
# Usage: bench/fetch-imap.sh (as root, after make; make bench-fetch-imap).
# BENCH_MIX replaces the mix (bench/fetch-mix SPECs).
set -u
: "${ROAM_TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ROAM_BUILD:=$ROAM_TOP/build}"
. "$ROAM_TOP/tests/lab/lib.sh"
MIX=${BENCH_MIX:-500x2k-50k 30x100k-2m}
RUNS=${BENCH_RUNS:-3}
ARRIVALS=${BENCH_ARRIVALS:-50}
FETCH=$ROAM_BUILD/roam-fetch

[ "$(id -u)" = 0 ] || { echo "bench/fetch-imap: run as root (private sshd and dovecot)" >&2; exit 1; }
[ -x "$FETCH" ] || { echo "bench/fetch-imap: $FETCH missing: make first" >&2; exit 1; }
for tool in mbsync getmail; do
	command -v $tool >/dev/null || { echo "bench/fetch-imap: $tool missing: scripts/deps" >&2; exit 1; }
done
lab_init
DISK=$(mktemp -d /var/tmp/roam-bench-imap.XXXXXX)
chmod 0755 "$DISK"	# getmail6 delivers as the mail user (getmail_via_ssh)
trap 'rm -rf "$DISK"; lab_cleanup' EXIT
lab_sshd 127.0.0.1 >/dev/null || exit 1
lab_dovecot 127.0.0.1 >/dev/null || exit 1
# the lab's dovecot speaks IMAP too (as tests/lab/fetch-imap.t does)
IMAP_PORT=$(lab_free_port)
sed -i 's/^protocols = pop3$/protocols = pop3 imap/' "$LAB_DOVECOT_CONFIG"
cat >>"$LAB_DOVECOT_CONFIG" <<EOC
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOC
lab_dovecot_stop && lab_dovecot_start || exit 1
SSH_OPTS="${LAB_SSH_OPTS[*]} -p $LAB_SSH_PORT"

# roamconf PROTOCOL [KEEP]: keep mode unless KEEP = no; client() empties the state dir
roamconf() {
	local c=$LAB_TMP/roam-$1-${2:-yes}.conf
	cat >"$c" <<-EOC
		[fetch]
		protocol = $1
		ssh_host = $LAB_SSH_HOST
		ssh_port = $LAB_SSH_PORT
		ssh_user = $LAB_SSH_USER
		identity = $LAB_SSH_KEY
		known_hosts = $LAB_SSH_KNOWN_HOSTS
		server_host = 127.0.0.1
		server_port = $([ "$1" = imap ] && echo "$IMAP_PORT" || echo "$LAB_POP3_PORT")
		server_user = $LAB_POP3_USER
		password_file = $LAB_POP3_PASSFILE
		state_dir = $LAB_TMP/state
		keep = ${2:-yes}
	EOC
	chmod 0600 "$c"
	echo "$c"
}

mbsyncrc() {
	local rc=$LAB_TMP/mbsyncrc
	cat >"$rc" <<-EOC
		IMAPAccount bench
		Tunnel "ssh -q $SSH_OPTS -W 127.0.0.1:$IMAP_PORT $LAB_SSH_USER@$LAB_SSH_HOST"
		User $LAB_POP3_USER
		PassCmd "cat $LAB_POP3_PASSFILE"
		SSLType None
		AuthMechs LOGIN

		IMAPStore far
		Account bench

		MaildirStore near
		Path $DISK/
		Inbox $DISK/Maildir

		Channel bench
		Far :far:INBOX
		Near :near:
		Sync Pull New
		Create Near
		SyncState *
	EOC
	chmod 0600 "$rc"
	echo "$rc"
}

getmail_via_ssh() {
	local lport ctl=$LAB_TMP/gm-ssh.ctl dir=$LAB_TMP/getmail rc
	lport=$(lab_free_port)
	rm -rf "$dir"
	mkdir -p "$dir"
	cat >"$dir/getmailrc" <<-EOC
		[retriever]
		type = SimpleIMAPRetriever
		server = 127.0.0.1
		port = $lport
		username = $LAB_POP3_USER
		password_command = ("/bin/cat", "$LAB_POP3_PASSFILE")
		mailboxes = ("INBOX",)

		[destination]
		type = Maildir
		path = $DISK/Maildir/
		user = $LAB_MAIL_USER

		[options]
		read_all = false
		delete = false
		verbose = 0
	EOC
	# getmail6 refuses to deliver as root: its delivery runs as the mail user
	chown -R "$LAB_MAIL_USER" "$DISK/Maildir"
	# shellcheck disable=SC2086 # SSH_OPTS is a list of words
	ssh -f -N -M -S "$ctl" -o ExitOnForwardFailure=yes -L "$lport:127.0.0.1:$IMAP_PORT" \
		$SSH_OPTS "$LAB_SSH_USER@$LAB_SSH_HOST" || return 2
	getmail --getmaildir "$dir" --rcfile getmailrc
	rc=$?
	ssh -S "$ctl" -O exit x 2>/dev/null
	return $rc
}

maildir() { rm -rf "$DISK/Maildir"; mkdir -p "$DISK/Maildir/tmp" "$DISK/Maildir/new" "$DISK/Maildir/cur"; }

# client VARIANT [EXTRA…]: one run, fresh state
client() {
	local v=$1
	shift
	maildir
	rm -rf "$LAB_TMP/state"
	case $v in
	roam-imap) "$FETCH" -c "$(roamconf imap)" --maildir "$DISK/Maildir" "$@" ;;
	roam-imap-delete) "$FETCH" -c "$(roamconf imap no)" --maildir "$DISK/Maildir" "$@" ;;
	roam-pop3) "$FETCH" -c "$(roamconf pop3)" --maildir "$DISK/Maildir" "$@" ;;
	mbsync) rm -rf "$DISK/Maildir"; mbsync -q -c "$(mbsyncrc)" bench "$@" ;;
	getmail) getmail_via_ssh "$@" ;;
	esac
}

make_set() {
	local dir=$LAB_TMP/set
	[ ! -d "$dir" ] || return 0
	mkdir -p "$dir"
	"$ROAM_TOP/bench/fetch-mix" "$dir" $MIX >"$dir.bytes" || exit 1
	chown -R "${_LAB_MAIL_UID:-65534}:${_LAB_MAIL_GID:-65534}" "$dir"
	chmod 0600 "$dir"/*
}

# an emptied folder (expunged through dovecot, so that its index forgets the
# keep-mode runs' messages), the set linked in under new names: new UIDs
fill() {
	make_set
	doveadm -c "$LAB_DOVECOT_CONFIG" expunge -u "$LAB_POP3_USER" mailbox INBOX all 2>/dev/null
	rm -f "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/*
	perl -e 'my ($from, $to, $tag) = @ARGV;
		opendir my $d, $from or die "$from: $!\n";
		for (sort grep { !/^\./ } readdir $d) {
			link "$from/$_", "$to/$tag.$_" or die "link $_: $!\n";
		}' "$LAB_TMP/set" "$LAB_MAILDIR/new" "$BASHPID.${EPOCHREALTIME/[.,]/}"
}

now() { echo "${EPOCHREALTIME/,/.}"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

timed() {
	local v=$1 t0 t1 rc got want
	fill
	t0=$(now)
	client "$v" >"$LAB_TMP/out" 2>&1
	rc=$?
	t1=$(now)
	[ "$rc" = 0 ] || { echo "bench/fetch-imap: $v exited $rc:" >&2; tail -5 "$LAB_TMP/out" >&2; }
	got=$(find "$DISK/Maildir/new" "$DISK/Maildir/cur" -type f 2>/dev/null | wc -l)
	want=$(find "$LAB_TMP/set" -type f | wc -l)
	[ "$got" = "$want" ] || echo "bench/fetch-imap: $v delivered $got of $want messages" >&2
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

declare -A wall
VARIANTS="roam-imap roam-pop3 mbsync getmail roam-imap-delete"
for v in $VARIANTS; do
	wall[$v]=$(for ((r = 0; r < RUNS; r++)); do timed "$v"; done | median)
done
N=$(find "$LAB_TMP/set" -type f | wc -l)
MB=$(awk -v b="$(cat "$LAB_TMP/set.bytes")" 'BEGIN { printf "%.1f", b / 1e6 }')
printf 'bench/fetch-imap: %s messages, %s MB (%s), through sshd, median of %s; %s CPUs, load %s\n' \
	"$N" "$MB" "$MIX" "$RUNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-46s %8s %8s %8s %12s\n' "client (keep mode unless said)" "wall s" "msgs/s" "MB/s" "× roam imap"
row() {
	printf '%-46s %8s %8s %8s %12s\n' "$1" "${wall[$2]}" \
		"$(awk -v n="$N" -v t="${wall[$2]}" 'BEGIN { printf "%.0f", n / t }')" \
		"$(awk -v m="$MB" -v t="${wall[$2]}" 'BEGIN { printf "%.1f", m / t }')" \
		"$(awk -v a="${wall[$2]}" -v b="${wall[roam-imap]}" 'BEGIN { printf "%.2f", a / b }')"
}
row "roam-fetch imap (libssh2 channel)" roam-imap
row "roam-fetch pop3, same mailbox" roam-pop3
row "mbsync 1.4 (Tunnel ssh -W)" mbsync
row "getmail6 (ssh -L)" getmail
row "roam-fetch imap, deleting (UID EXPUNGE)" roam-imap-delete

# ---- push latency: roam-fetch --watch over IMAP IDLE -------------------------------
doveadm -c "$LAB_DOVECOT_CONFIG" expunge -u "$LAB_POP3_USER" mailbox INBOX all 2>/dev/null
rm -f "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/*
maildir
rm -rf "$LAB_TMP/state"
"$FETCH" -c "$(roamconf imap no)" --watch --maildir "$DISK/Maildir" 2>"$LAB_TMP/watch.log" &
watch_pid=$!
sleep 1
lat=()
for ((i = 1; i <= ARRIVALS; i++)); do
	t0=$(now)
	lab_fill_mailbox 1 100
	for ((j = 0; j < 1000; j++)); do
		[ "$(find "$DISK/Maildir/new" -type f | wc -l)" -ge "$i" ] && break
		sleep 0.005
	done
	lat+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }')")
done
kill -TERM "$watch_pid"
wait "$watch_pid"
printf '%s\n' "${lat[@]}" | sort -n >"$LAB_TMP/lat"
printf 'roam-fetch --watch (IMAP IDLE), %s arrivals one at a time: median %s ms, max %s ms (goal: at most 1000)\n' \
	"$ARRIVALS" "$(median <"$LAB_TMP/lat")" "$(tail -n1 "$LAB_TMP/lat")"
