#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/exim4-routers.conf without Exim (exim4 conflicts with postfix, which
# these machines run): the ${readsocket} request the roam_laptop router
# builds, sent as Exim sends it (write, shut the write side, read to EOF), is
# answered by a real roam-redirectd, and the router's reply pattern (Perl, as
# Exim's PCRE) gives the laptop's address while alive and declines while
# away, for an unknown recipient and with no daemon; the roam_forward
# router's ${run} command, as written, run on a `make install` tree with
# /etc/roam.conf, prints the alive destination (exit 0) or nothing (exit 1);
# its local_parts pattern keeps odd local parts out.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
conf=$(cl_file exim4-routers.conf)
[ -n "$conf" ] || cl_skip_all "exim4-routers.conf"
command -v nc >/dev/null || { echo "1..0 # SKIP no nc (netcat-openbsd)"; exit 0; }
lab_require_root
lab_init
plan 11

# opt ROUTER OPTION: the option's value in that router, continuation lines
# joined as Exim joins them (backslash-newline, the next line's leading
# blanks dropped), the commented-out router taken as if uncommented
opt() {
	perl -0777 -ne '
		s/^#//mg;			# the commented-out alternative too
		s/\\\n[ \t]*//g;		# continuation lines
		/^\Q$ENV{R}\E:\n(.*?)(?:\n\n|\z)/ms or exit 1;
		my $body = $1;
		$body =~ /^[ \t]+\Q$ENV{O}\E[ \t]*=[ \t]*(.*)$/m or exit 1;
		print $1;' "$conf"
}
# the roam_laptop router's readsocket pieces and reply pattern
ad=$(R=roam_laptop O=address_data opt)
sock_path=$(perl -ne '/\$\{readsocket\{([^}]*)\}/ and print $1' <<<"$ad")
pattern=$(perl -ne '/\{\\N(.*?)\\N\}/ and print $1' <<<"$ad")
request_tmpl=$(perl -ne '/\$\{readsocket\{[^}]*\}\{(\$\{strlen:[^}]*\}[^}]*)\}/ and print $1' <<<"$ad")
is "$sock_path" "$(sed -n 's|^transport_maps = socketmap:unix:\(.*\):transport$|\1|p' "$ROAM_TOP/contrib/postfix-main.cf")" \
	"roam_laptop reads the socket contrib/postfix-main.cf names"
like "$(R=roam_laptop O=route_data opt) $(R=roam_laptop O=transport opt)" '^\$address_data remote_smtp$' \
	"  route_data is the address it picked, transport remote_smtp"

# exim_request ADDR: the request, $local_part@$domain and ${strlen:} expanded
exim_request() {
	A=$1 perl -e '$_ = $ARGV[0]; s/\$local_part\@\$domain/$ENV{A}/g;
		s/\$\{strlen:([^}]*)\}/length($1)/ge; print' "$request_tmpl"
}
# route ADDR SOCKET: what the router makes of the reply: the route, or "decline"
route() {
	local reply
	reply=$(exim_request "$1" | timeout 5 nc -N -U "$2" 2>/dev/null)
	P=$pattern perl -e 'print $ARGV[0] =~ /$ENV{P}/ ? $1 : "decline"' -- "$reply"
}
is "$(exim_request alice@example.org)" "27:transport alice@example.org," "the request is a netstring"

D=$LAB_TMP/rd
mkdir -p "$D/state"
chmod 0755 "$LAB_TMP" "$D"
SOCK=$D/run/redirect.sock
echo "alice@example.org 198.51.100.180 alice@laptop.example.net" >"$D/recipients"
echo "bob@example.org 198.51.100.181 bob@laptop.example.net" >>"$D/recipients"
chmod 0644 "$D/recipients"
now=$(date +%s)
echo "v1 alive $((now - 60)) $now 0 dgram" >"$D/state/198.51.100.180"
echo "v1 dead $((now - 60)) $now 0 dgram" >"$D/state/198.51.100.181"
printf '[redirect]\nrecipients = %s\nstate_dir = %s\nsocket = %s\nsocket_group = %s\n' \
	"$D/recipients" "$D/state" "$SOCK" "$(id -gn)" >"$D/roam.conf"
"$ROAM_BUILD/roam-redirectd" -c "$D/roam.conf" 2>>"$D/log" &
echo $! >"$D/pid"
_lab_register pidfile "$D/pid"
for ((i = 0; i < 300; i++)); do [ -S "$SOCK" ] && break; sleep 0.01; done
is "$(route alice@example.org "$SOCK")" "198.51.100.180" "alive: the route is the laptop's address"
is "$(route bob@example.org "$SOCK")" "decline" "away: declines (the next router, the mailbox)"
is "$(route carol@example.org "$SOCK")" "decline" "not in the table: declines"
is "$(route alice@example.org "$D/none.sock")" "decline" "no daemon (readsocket's fail string \"\"): declines"

# ---- roam_forward: ${run} of roam-redirect --exit-status --for ---------------
ok "make install into a private /usr/local" cl_install
cl_conf "$(cat "$D/roam.conf")"
cmd=$(R=roam_forward O=address_data opt | perl -ne '/\$\{run\{([^}]*)\}/ and print $1')
run() {	# run ADDR: the command as Exim 4.96 runs it (expanded, then split at blanks)
	local c=${cmd//\$local_part@\$domain/$1} out rc
	# shellcheck disable=SC2086  # split into words, as Exim does
	out=$(cl_host env -i PATH=/usr/bin:/bin $c 2>/dev/null); rc=$?
	echo "$rc:$out"
}
is "$(run alice@example.org)" "0:alice@laptop.example.net" "roam_forward, alive: exit 0, the alive destination"
is "$(run bob@example.org)" "1:" "  away: exit 1, nothing (fail: declines)"
lp=$(R=roam_forward O=local_parts opt | perl -pe 's/^\\N(.*)\\N$/$1/')
is "$(for l in alice a.b+c '"a b"' 'a b' "a'b" '-x'; do
	P=$lp perl -e 'print $ARGV[0] =~ /$ENV{P}/ ? "y" : "n"' -- "$l"; done)" "yynnny" \
	"  its local_parts pattern lets plain local parts through only"
done_testing
