#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/roam.sieve in a real Dovecot LDA with Pigeonhole's
# vnd.dovecot.execute: while the recipient's laptop is alive the message is
# redirected (through dovecot's sendmail_path) to its alive destination, while
# away, unknown or broken it is kept in the Maildir; never both, never lost.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
lab_init
plan 9

LDA=/usr/lib/dovecot/dovecot-lda
[ -x "$LDA" ] && [ -e /usr/lib/dovecot/modules/sieve/lib90_sieve_extprograms_plugin.so ] ||
	{ echo "1..0 # SKIP dovecot-lda or Pigeonhole's extprograms missing (scripts/deps)"; exit 0; }

mail=$(lab_ns mail)
D=$LAB_TMP/sieve
TARGET=198.51.100.180 ALIVE=alice@laptop.example.net RCPT=alice@example.org
mkdir -p "$D/bin" "$D/state" "$D/out" "$D/run"
echo "$RCPT $TARGET $ALIVE" >"$D/recipients"
printf '[redirect]\nrecipients = %s\nstate_dir = %s\n' "$D/recipients" "$D/state" >"$D/roam.conf"
cat >"$D/bin/roam-redirect" <<EOF
#!/bin/sh
exec "$ROAM_BUILD/roam-redirect" -c "$D/roam.conf" "\$@"
EOF
# dovecot's sendmail_path: records the recipients and the message
cat >"$D/sendmail" <<'EOF'
#!/bin/sh
dir=$(dirname "$0")
n=$(ls "$dir/out" | wc -l)
cat >"$dir/out/$n.msg" && echo "$*" >"$dir/out/$n.args"
EOF
cp "$ROAM_TOP/contrib/roam.sieve" "$D/roam.sieve"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
log_path = $D/lda.log
mail_location = maildir:$D/Maildir
postmaster_address = postmaster@example.org
sendmail_path = $D/sendmail
ssl = no
protocol lda {
  mail_plugins = sieve
}
plugin {
  sieve = file:$D/sieve;active=$D/roam.sieve
  sieve_plugins = sieve_extprograms
  sieve_extensions = +vnd.dovecot.execute
  sieve_execute_bin_dir = $D/bin
}
EOF
chmod 0755 "$D/bin/roam-redirect" "$D/sendmail" "$LAB_TMP"
chown -R nobody:nogroup "$D/out" "$D/run"
mkdir -m 0700 "$D/Maildir" && chown nobody:nogroup "$D/Maildir"
chown nobody:nogroup "$D"

state() {	# state alive|dead
	local now; now=$(date +%s)
	echo "v1 $1 $((now - 60)) $now 0 dgram" >"$D/state/$TARGET"
}
deliver() {	# deliver N [RCPT]: one message through dovecot-lda as nobody
	printf 'From: sender@example.net\nTo: %s\nSubject: sieve %s\nMessage-ID: <sieve-%s@test.example.net>\n\nbody %s\n' \
		"${2:-$RCPT}" "$1" "$1" "$1" |
		ip netns exec "$mail" setpriv --reuid nobody --regid nogroup --clear-groups \
			env HOME="$D" "$LDA" -c "$D/dovecot.conf" -f sender@example.net -a "${2:-$RCPT}"
}
where() {	# where N: "redirect:ARGS", "kept", one word per copy
	local id="<sieve-$1@test.example.net>" f
	for f in "$D"/out/*.msg; do
		[ -e "$f" ] && grep -qF "Message-ID: $id" "$f" && echo "redirect:$(cat "${f%.msg}.args")"
	done
	grep -lF "Message-ID: $id" "$D"/Maildir/new/* 2>/dev/null | sed 's/.*/kept/'
}

state alive
deliver 1; rc=$?
is "$rc" 0 "alive: dovecot-lda exits 0"
like "$(where 1)" "^redirect:.*$ALIVE$" "  redirected to the alive destination, once, not kept"
is "$(cat "$D"/out/*.args 2>/dev/null | wc -l)/$(awk '{ print $NF }' "$D"/out/*.args 2>/dev/null)" \
	"1/$ALIVE" "  one line of sendmail arguments: no newline of roam-redirect's in the address"

state dead
deliver 2; rc=$?
is "$(where 2)/$rc" "kept/0" "away: kept in the Maildir, not redirected"

state alive
deliver 3 carol@example.org; rc=$?
is "$(where 3)/$rc" "kept/0" "a recipient not in the table: kept"

echo "broken line" >>"$D/recipients"
deliver 4; rc=$?
is "$(where 4)/$rc" "kept/0" "a broken recipients table: kept"
echo "$RCPT $TARGET $ALIVE" >"$D/recipients"

rm -f "$D/state/$TARGET"	# and no answer to an own probe in an empty namespace
deliver 5; rc=$?
is "$(where 5)/$rc" "kept/0" "no state file, silent target: kept"

deliver 6; state alive; deliver 7
is "$(where 6) $(where 7 | cut -c1-9)" "kept redirect:" "the state's change is seen by the next message"
is "$(find "$D/Maildir/new" -type f | wc -l)/$(ls "$D"/out/*.msg | wc -l)" "5/2" \
	"7 messages: 5 kept, 2 redirected, none lost or doubled"
done_testing
