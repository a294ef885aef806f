# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/lab/fetch-lib.sh — what the roam-fetch lab tests share (fetch-basic.t,
# fetch-hostkey.t, fetch-forward.t): a private sshd and dovecot, configs, and
# "same mail" by content. Source after lib.sh; call fetch_lab_start first.

FETCH=$ROAM_BUILD/roam-fetch

# skips the whole file when the binary is missing
fetch_require_binary() {
	if [ ! -x "$FETCH" ]; then
		echo "1..0 # SKIP $FETCH not built"
		exit 0
	fi
}

# the opening of a fetch test: root, the binary, a fresh lab
fetch_test_init() {
	lab_require_root
	fetch_require_binary
	lab_init
}

# sshd + dovecot on 127.0.0.1; LAB_SSHD_DIR is where the host key lives
fetch_lab_start() {
	lab_sshd 127.0.0.1 && lab_dovecot 127.0.0.1 && LAB_SSHD_DIR=$(dirname "$LAB_SSHD_CONFIG")
}

# digests DIR…: one md5 per message file, sorted (a multiset); dovecot may move
# a file from new/ to cur/ meanwhile, then we look again
digests() {
	local i out
	for ((i = 0; i < 100; i++)); do
		if out=$(find "$@" -maxdepth 1 -type f ! -name '.*' -print0 2>/dev/null |
			xargs -0r md5sum 2>/dev/null); then
			[ -z "$out" ] || cut -d' ' -f1 <<<"$out" | sort
			return 0
		fi
		sleep 0.01
	done
	echo "digests: files keep moving in $*" >&2
	return 1
}
server_digests() { digests "$LAB_MAILDIR/new" "$LAB_MAILDIR/cur"; }
server_count() { server_digests | wc -l; }

# mbox_split MBOX DIR: each message of MBOX as a file in DIR, as the server
# has it: without its From_ line and roam-fetch's X-Roam-Key marker, with
# mboxrd's quoting undone and without the blank line that ends it in the mbox.
# A message a run left unconfirmed (X-Roam-Tmp) or cut short stays altered,
# and same_mail reports it.
mbox_split() {
	local m
	rm -rf "$2"
	mkdir -p "$2"
	[ -e "$1" ] || return 0
	awk -v out="$2" '
		/^From / { if (f) close(f); f = sprintf("%s/%06d", out, ++n); first = 1; next }
		first && /^X-Roam-Key: [0-9a-f]+ / { first = 0; next }
		{ first = 0; if (/^>+From /) $0 = substr($0, 2); printf "%s\n", $0 > f }
	' "$1"
	for m in "$2"/*; do
		[ -e "$m" ] && truncate -s -1 "$m"
	done
	return 0
}

# fresh_server N [BYTES]: an empty mailbox with N messages; digests in $LAB_TMP/orig
fresh_server() {
	rm -f "$LAB_MAILDIR"/new/* "$LAB_MAILDIR"/cur/* "$LAB_MAILDIR"/tmp/*
	if [ "$1" -gt 0 ]; then
		lab_fill_mailbox "$@" || return 1
	fi
	server_digests >"$LAB_TMP/orig"
}

# conf NAME [KEY=VALUE…]: a config with its own state dir and Maildir
# ($LAB_TMP/NAME/mail); a KEY given replaces the default; prints its path
conf() {
	local dir=$LAB_TMP/$1 kv k
	local -A v=(
		[ssh_host]=$LAB_SSH_HOST [ssh_port]=$LAB_SSH_PORT [ssh_user]=$LAB_SSH_USER
		[identity]=$LAB_SSH_KEY [known_hosts]=$LAB_SSH_KNOWN_HOSTS
		[pop3_host]=$LAB_POP3_HOST [pop3_port]=$LAB_POP3_PORT [pop3_user]=$LAB_POP3_USER
		[password_file]=$LAB_POP3_PASSFILE [deliver]=maildir:$dir/mail
		[state_dir]=$dir/state [timeout]=20
	)
	shift
	mkdir -p "$dir"
	for kv in "$@"; do
		k=${kv%%=*}
		[ "$k" != password_command ] || unset 'v[password_file]'
		v[$k]=${kv#*=}
	done
	{
		echo "[fetch]"
		for k in "${!v[@]}"; do [ -z "${v[$k]}" ] || echo "$k = ${v[$k]}"; done
	} >"$dir/roam.conf"
	echo "$dir/roam.conf"
}

# fetch CONF ARGS…: one bounded run; stdout/stderr in $LAB_TMP/out, err; $rc
fetch() {
	local c=$1
	shift
	rc=0
	timeout -k 5 300 "$FETCH" -c "$c" "$@" >"$LAB_TMP/out" 2>"$LAB_TMP/err" || rc=$?
	[ ! -s "$LAB_TMP/err" ] || note "roam-fetch stderr: $(head -c 600 "$LAB_TMP/err")"
	return 0
}

# delivered NAME: digests of what NAME's Maildir holds
delivered() { digests "$LAB_TMP/$1/mail/new" "$LAB_TMP/$1/mail/cur"; }

# imap_start: the lab's dovecot also speaks IMAP, on $IMAP_PORT
imap_start() {
	IMAP_PORT=$(lab_free_port) || return 1
	sed -i 's/^protocols = pop3$/protocols = pop3 imap/' "$LAB_DOVECOT_CONFIG" || return 1
	cat >>"$LAB_DOVECOT_CONFIG" <<-EOF
		service imap-login {
		  inet_listener imap {
		    port = $IMAP_PORT
		  }
		  inet_listener imaps {
		    port = 0
		  }
		}
	EOF
	lab_dovecot_stop && lab_dovecot_start && _lab_wait_banner "" 127.0.0.1 "$IMAP_PORT" '* OK'
}

# fake_start SCRIPT: a fake server (tests/lab/fetch-fake*.py, for faults no real
# server makes on demand) on a free port, $FAKE_PORT, its state in $FAKE
fake_start() {
	local i
	FAKE_PORT=$(lab_free_port) || return 1
	python3 "$ROAM_TOP/tests/lab/$1" "$FAKE" "$FAKE_PORT" 2>>"$FAKE/stderr" &
	for ((i = 0; i < 500; i++)); do
		[ -e "$FAKE/ready" ] && return 0
		sleep 0.01
	done
	return 1
}

# wait_alive PID CMD…: until CMD succeeds (0) or PID has exited (1); polls,
# 10 ms steps, at most 20 s
wait_alive() {
	local pid=$1 i
	shift
	for ((i = 0; i < 2000; i++)); do
		"$@" && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
maildir_writing() { [ -n "$(ls -A "$1/tmp" 2>/dev/null)" ]; }
# wait_in_flight MAILDIR PID: until a message is being written (tmp/ has a file)
wait_in_flight() { wait_alive "$2" maildir_writing "$1"; }
# wait_mbox MBOX PID: the same for an mbox: until MBOX has bytes
wait_mbox() { wait_alive "$2" test -s "$1"; }

# pop3_banner PORT: waits (bounded) until something answers +OK on 127.0.0.1:PORT
# (--forward: each try may start a whole ssh, so a read may take 2 s)
pop3_banner() {
	local i l
	for ((i = 0; i < 300; i++)); do
		if exec 3<>"/dev/tcp/127.0.0.1/$1"; then
			IFS= read -r -t 2 l <&3
			exec 3<&-
			[[ $l == +OK* ]] && return 0
		fi 2>/dev/null
		sleep 0.05
	done
	return 1
}
