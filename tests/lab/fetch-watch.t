#!/bin/bash
# SPDX-License-Identifier: MIT
#
# roam-fetch --watch against the lab's real dovecot (IMAP IDLE, POP3 polling)
# behind the real sshd: mail waiting at the start is fetched, a message that
# arrives later is delivered while the session idles (latency noted: figures,
# the functional bound is 10 s), the ssh connection killed under it is
# reopened with backoff and the next message still arrives, SIGTERM ends it
# with status 0 and nothing left behind; a bad password ends it at once
# (exit 3, no retry loop); POP3 polls every watch_interval seconds; the
# contrib user unit passes systemd-analyze verify --user.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
fetch_test_init


# count NAME: messages in NAME's Maildir
count() { find "$LAB_TMP/$1/mail/new" "$LAB_TMP/$1/mail/cur" -type f 2>/dev/null | wc -l; }
# wait_count NAME N SECONDS: until NAME's Maildir holds N; prints the ms it took
wait_count() {
	local i t0=$EPOCHREALTIME
	for ((i = 0; i < $3 * 100; i++)); do
		if [ "$(count "$1")" -ge "$2" ]; then
			awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d\n", (b - a) * 1000 }'
			return 0
		fi
		sleep 0.01
	done
	return 1
}
# no_dups NAME N: NAME's Maildir holds N messages, no two alike
no_dups() {
	[ "$(count "$1")" = "$2" ] || { echo "$(count "$1") messages, not $2"; return 1; }
	[ -z "$(delivered "$1" | uniq -d)" ] || { echo "duplicates"; return 1; }
}
# stops PID with SIGTERM: its exit status in $rc, or 124 when it lingers 5 s
term() {
	local i
	kill -TERM "$1"
	for ((i = 0; i < 500; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		wait "$1" 2>/dev/null
		rc=124
	else
		rc=0
		wait "$1" || rc=$?
	fi
}

ok "sshd and dovecot start" fetch_lab_start || { done_testing; exit; }
ok "dovecot speaks IMAP too" imap_start || { done_testing; exit; }

# ---- IMAP IDLE -------------------------------------------------------------------
fresh_server 3
c=$(conf idle protocol=imap pop3_port= server_port="$IMAP_PORT")
"$FETCH" -c "$c" --watch -vv 2>"$LAB_TMP/idle.log" &
pid=$!
ok "--watch: the 3 waiting messages are delivered" wait_count idle 3 20
is "$(server_count)" 0 "--watch: and removed from the server"
ok "--watch: the session idles (IDLE sent)" grep -q '> a[0-9]* IDLE' "$LAB_TMP/idle.log"
lat=()
for i in 1 2 3 4 5; do
	lab_fill_mailbox 1
	if ms=$(wait_count idle $((3 + i)) 10); then lat+=("$ms"); fi
done
is "${#lat[@]}" 5 "--watch: 5 messages arriving one by one, each delivered while idling"
note "IDLE delivery latency (append → file in the Maildir), ms: ${lat[*]}"
is "$(server_count)" 0 "--watch: the arrivals are removed from the server too"

# the ssh connection dies under the session (its sshd processes killed)
for p in $(ps -o pid= --ppid "$LAB_SSHD_PID"); do kill -9 "$p"; done
lab_fill_mailbox 1
ok "--watch: after the ssh connection died, the next message still arrives" wait_count idle 9 30
like "$(cat "$LAB_TMP/idle.log")" "trying again in 1 s" "--watch: the drop is said once, with the backoff"
ok "--watch: still running after the drop" kill -0 "$pid"
term "$pid"
is "$rc" 0 "--watch: SIGTERM ends it with status 0"
is "$(ps -o pid= --ppid "$pid" 2>/dev/null | wc -l)" 0 "--watch: nothing of it is left"
ok "--watch: 9 messages, each once" no_dups idle 9

# ---- a bad password: no retry loop -------------------------------------------------
echo wrong >"$LAB_TMP/wrong.pass"
chmod 0600 "$LAB_TMP/wrong.pass"
c=$(conf badpass protocol=imap pop3_port= server_port="$IMAP_PORT" password_file="$LAB_TMP/wrong.pass")
fetch "$c" --watch
is "$rc" 3 "--watch with a wrong password: exit 3 at once, not retried"

# ---- POP3: polling ---------------------------------------------------------------------
fresh_server 2
c=$(conf poll watch_interval=5)
"$FETCH" -c "$c" --watch 2>"$LAB_TMP/poll.log" &
pid=$!
ok "POP3 --watch: the 2 waiting messages are delivered" wait_count poll 2 20
lab_fill_mailbox 1
ok "POP3 --watch: a new message is delivered by the next poll (watch_interval = 5)" \
	wait_count poll 3 20
term "$pid"
is "$rc" 0 "POP3 --watch: SIGTERM ends it with status 0"
is "$(server_count)" 0 "POP3 --watch: the server is empty"

# ---- contrib/roam-fetch-watch.user-unit, as systemd --user takes it --------------
if command -v systemd-analyze >/dev/null; then
	unit=$ROAM_TOP/contrib/roam-fetch-watch.user-unit
	ud=$LAB_TMP/unit
	mkdir -p "$ud/run" "$ud/man/man1" "$ud/man/man5"
	chmod 0700 "$ud/run"
	ln -s "$ROAM_TOP/man/roam-fetch.1" "$ud/man/man1/"
	ln -s "$ROAM_TOP/man/roam.conf.5" "$ud/man/man5/"
	like "$(sed -n 's/^ExecStart=//p' "$unit")" '^/usr/local/bin/roam-fetch --watch$' \
		"the user unit runs roam-fetch --watch"
	# the installed path replaced by this build's binary, the man pages by the tree's
	sed "s,^ExecStart=/usr/local/bin/roam-fetch,ExecStart=$FETCH," "$unit" >"$ud/roam-fetch.service"
	out=$(MANPATH=$ud/man XDG_RUNTIME_DIR=$ud/run systemd-analyze verify --user \
		"$ud/roam-fetch.service" 2>&1)
	is "$?:$out" "0:" "systemd-analyze verify --user: no complaint about the user unit"
else
	skip "the user unit verified" "no systemd-analyze"
	skip "the user unit verified" "no systemd-analyze"
fi

done_testing
