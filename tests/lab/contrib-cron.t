#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/*.cron as cron takes them. Syntax: our own check (5 time fields, a
# user that exists for /etc/cron.d files, no bare % in the command) and cron's
# own parser (crontab(1) installing the entries into a private overlay of
# /var/spool/cron). Then each entry's command runs the way cron runs it:
# /bin/sh -c with cron's environment (PATH=/usr/bin:/bin, SHELL, HOME, LOGNAME),
# on the paths the file names (a `make install` tree mounted on /usr/local in a
# private mount namespace), on the host it is meant for:
#   roam-probe: a mail server namespace with a laptop beside it;
#   roam-fetch: a laptop with a real sshd and dovecot on 127.0.0.1;
#   roam-tunnel: a laptop on the guest LAN (the tunnel not up: no ipip here).
# What cron mails is what the command prints: normal runs ("away", "no mail")
# must print nothing, a broken set-up must print something.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
files=$(cd "$ROAM_TOP/contrib" && ls ./*.cron 2>/dev/null | sed 's,^\./,,')
[ -n "$files" ] || cl_skip_all "*.cron (roam-probe.cron, roam-fetch.cron)"
command -v crontab >/dev/null || { echo "1..0 # SKIP no crontab (cron)"; exit 0; }
lab_require_root
lab_init
ok "make install into a private /usr/local" cl_install

# ---- syntax -------------------------------------------------------------------
# cron_field VALUE MIN MAX [NAMES]: one time field (*, a-b, a-b/n, */n, lists, names)
cron_field() {
	local v=$1 min=$2 max=$3 names=${4:-} item range step a b
	IFS=, read -ra items <<<"$v"
	[ "${#items[@]}" -gt 0 ] || return 1
	for item in "${items[@]}"; do
		range=${item%%/*} step=
		[ "$range" = "$item" ] || step=${item#*/}
		[ -z "$step" ] || [[ $step =~ ^[0-9]+$ && $step -ge 1 ]] || return 1
		[ "$range" != "*" ] || continue
		a=${range%%-*} b=${range#*-}
		for x in "$a" "$b"; do
			if [[ $x =~ ^[0-9]+$ ]]; then
				[ "$x" -ge "$min" ] && [ "$x" -le "$max" ] || return 1
			else
				[ -n "$names" ] && [[ " $names " == *" ${x,,} "* ]] || return 1
			fi
		done
	done
}
# parse FILE SYSTEM: checks every line; prints "USER<TAB>COMMAND" per entry
parse() {
	local f=$1 system=$2 line m h dom mon dow user cmd rest bad=0 nr=0
	while IFS= read -r line || [ -n "$line" ]; do
		nr=$((nr + 1))
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		[[ $line =~ ^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*= ]] && continue   # NAME=value
		if [[ $line =~ ^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)[[:space:]]+(.*)$ ]]; then
			rest=${BASH_REMATCH[2]}
		else
			read -r m h dom mon dow rest <<<"$line"
			cron_field "$m" 0 59 && cron_field "$h" 0 23 && cron_field "$dom" 1 31 &&
			cron_field "$mon" 1 12 "jan feb mar apr may jun jul aug sep oct nov dec" &&
			cron_field "$dow" 0 7 "sun mon tue wed thu fri sat" ||
				{ echo "line $nr: bad time fields: $line" >&2; bad=1; continue; }
		fi
		user=-
		if [ "$system" = 1 ]; then
			read -r user cmd <<<"$rest"
			getent passwd "$user" >/dev/null || { echo "line $nr: no user '$user'" >&2; bad=1; continue; }
		else
			cmd=$rest
		fi
		[ -n "$cmd" ] || { echo "line $nr: no command" >&2; bad=1; continue; }
		# cron turns an unescaped % into a newline (the rest is stdin)
		[[ ${cmd//\\%/} != *%* ]] || { echo "line $nr: bare % in the command" >&2; bad=1; continue; }
		printf '%s\t%s\n' "$user" "$cmd"
	done <"$f"
	return "$bad"
}
# crontab_accepts FILE: cron's parser, in a private overlay of /var/spool/cron
crontab_accepts() {
	mkdir -p "$LAB_TMP/spool/upper" "$LAB_TMP/spool/work"
	# shellcheck disable=SC2016
	unshare -m sh -c 'mount -t overlay roam-spool -o "lowerdir=/var/spool/cron,upperdir=$1/upper,workdir=$1/work" /var/spool/cron &&
		crontab -u root "$0"' "$1" "$LAB_TMP/spool"
}

# cron_run USER CMD [NS]: the command as cron runs it; output (what cron mails)
# in $out, status in $rc
cron_run() {
	local user=$1 cmd=$2 ns=${3:-} home=$LAB_TMP/home
	out=$(cl_host ${ns:+--ns "$ns"} env -i SHELL=/bin/sh PATH=/usr/bin:/bin HOME="$home" \
		LOGNAME="$user" USER="$user" /bin/sh -c "$cmd" 2>&1 </dev/null)
	rc=$?
}

# ---- roam-probe on the mail server ------------------------------------------
probe_host() {	# probe_host USER CMD
	local user=$1 cmd=$2 state=$LAB_TMP/state
	if [ -z "${mail:-}" ]; then
		mail=$(lab_ns mail) && laptop=$(lab_ns laptop) &&
		lab_link "$mail" 198.51.100.152/24 "$laptop" 198.51.100.180/24 &&
		cl_wait_reachable "$mail" 198.51.100.180 || return 1
	fi
	mkdir -p "$state"
	rm -f "$state"/*
	cl_conf "[probe]
target = 198.51.100.180
state_dir = $state
count = 2
timeout = 500"
	cron_run "$user" "$cmd" "$mail"
	is "$rc:$out" "0:" "  laptop at home: the command prints nothing (no mail from cron)"
	like "$(cat "$state/198.51.100.180" 2>/dev/null)" '^v1 alive ' "  and the state file says alive"
	ip -n "$laptop" addr del 198.51.100.180/24 dev "$LAB_LINK_IF2"
	cron_run "$user" "$cmd" "$mail"
	is "$out" "" "  laptop away: still nothing printed (away is not an error)"
	like "$(cat "$state/198.51.100.180" 2>/dev/null)" '^v1 dead ' "  and the state file says dead"
	ip -n "$laptop" addr add 198.51.100.180/24 dev "$LAB_LINK_IF2"
	cl_wait_reachable "$mail" 198.51.100.180
	cl_conf "[probe]
tagret = 198.51.100.180"
	cron_run "$user" "$cmd" "$mail"
	like "$out" "roam.conf:2" "  a broken /etc/roam.conf: cron mails the error (file and line)"
}

# cron_live FILE NAME: the real cron daemon (cron -f) in the mail server
# namespace, with a private /etc/cron.d holding only FILE as NAME, an empty
# /etc/crontab and spool, its own /run, and a recorder as /usr/sbin/sendmail:
# within the next minute it must run the entry (the state file appears) and
# mail nothing
cron_live() {
	local f=$1 name=$2 state=$LAB_TMP/state d=$LAB_TMP/live i pid
	mkdir -p "$d/cron.d" "$d/run" "$d/mail" "$d/spool"
	chmod 0755 "$d/cron.d"
	install -m 0644 "$f" "$d/cron.d/$name"
	: >"$d/crontab"
	cat >"$d/sendmail" <<-EOF
	#!/bin/sh
	{ echo "sendmail \$*"; cat; } >>"$d/mail/mail.\$\$"
	EOF
	chmod 0755 "$d/sendmail"
	rm -f "$state"/*
	cl_conf "[probe]
target = 198.51.100.180
state_dir = $state
count = 2
timeout = 500"
	local saved=("${CL_BINDS[@]}")
	CL_BINDS=("$d/cron.d:/etc/cron.d" "$d/crontab:/etc/crontab" "$d/spool:/var/spool/cron/crontabs"
		"$d/run:/run" "$d/sendmail:/usr/sbin/sendmail")
	cl_host_cmd --ns "$mail" /usr/sbin/cron -f
	CL_BINDS=("${saved[@]}")
	"${CL_CMD[@]}" </dev/null >"$d/cron.log" 2>&1 &
	pid=$!
	note "  cron -f started at $(date +%T); waiting for the next minute"
	# up to ~75 s: the next minute boundary, then the run itself
	for ((i = 0; i < 7500; i++)); do
		[ -s "$state/198.51.100.180" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	like "$(cat "$state/198.51.100.180" 2>/dev/null)" '^v1 alive ' \
		"  the real cron runs /etc/cron.d/$name: the state file appears (alive)"
	# the job is done when cron is alone in the namespace again
	for ((i = 0; i < 1000; i++)); do
		[ "$(ip netns pids "$mail" | grep -vx "$pid" | wc -l)" = 0 ] && break
		sleep 0.01
	done
	is "$(cat "$d"/mail/* 2>/dev/null)" "" "  and cron mailed nothing"
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

# ---- roam-tunnel on the mobile ---------------------------------------------------
# The real roam-tunnel on a laptop namespace on the guest LAN. The kernel here
# has no ipip, so the tunnel is never up: the case "the user took it down",
# which the cron line must keep quiet; a broken config must mail. The tunnel
# itself is tested in the VM (tests/vm/).
tunnel_host() {	# tunnel_host USER CMD
	local user=$1 cmd=$2
	# roam-tunnel keeps its lock in /run/roam: a private /run, so the host's stays untouched
	local CL_BINDS=("${CL_BINDS[@]}" "$LAB_TMP/tunnel-run:/run")
	mkdir -p "$LAB_TMP/tunnel-run"
	if [ -z "${mobile:-}" ]; then
		mobile=$(lab_ns mobile) && router=$(lab_ns router) &&
		lab_link "$mobile" 203.0.113.230/26 "$router" 203.0.113.193/26 &&
		ip -n "$mobile" route add default via 203.0.113.193 || return 1
	fi
	cl_conf "[tunnel]
role = mobile
remote = 198.51.100.238
inner_local = 192.0.2.20
inner_remote = 192.0.2.10
exported = 198.51.100.180"
	cron_run "$user" "$cmd" "$mobile"
	is "$rc:$out" "0:" "  the tunnel is not up (taken down): the command prints nothing (no mail every run)"
	cl_conf "[tunnel]
role = mobil"
	cron_run "$user" "$cmd" "$mobile"
	like "$out" "roam.conf:2" "  a broken /etc/roam.conf: cron mails the error (file and line)"
	ok "  its lock went to the private /run, not the host's" test -e "$LAB_TMP/tunnel-run/roam/tunnel-tunl1.lock"
}

# ---- roam-fetch on the laptop ---------------------------------------------------
fetch_host() {	# fetch_host USER CMD
	local user=$1 cmd=$2 c home=$LAB_TMP/home
	if [ -z "${LAB_DOVECOT_PID:-}" ]; then
		fetch_lab_start || return 1
	fi
	fresh_server 3
	c=$(conf laptop) || return 1
	mkdir -p "$home/.config/roam"
	cp "$c" "$home/.config/roam/roam.conf"
	cron_run "$user" "$cmd"
	is "$rc:$out" "0:" "  three messages waiting: the command prints nothing"
	is "$(digests "$LAB_TMP/laptop/mail/new" "$LAB_TMP/laptop/mail/cur")" "$(cat "$LAB_TMP/orig")" \
		"  and the three are in ~'s Maildir"
	is "$(server_count)" 0 "  and gone from the server"
	cron_run "$user" "$cmd"
	is "$rc:$out" "0:" "  no mail: nothing printed (exit 1 is normal)"
	(umask 077; echo "not-the-password" >"$LAB_TMP/wrong.pass")
	sed -i "s|^password_file = .*|password_file = $LAB_TMP/wrong.pass|" "$home/.config/roam/roam.conf"
	cron_run "$user" "$cmd"
	like "$out" "." "  a wrong password: cron mails something"
	note "  what cron mails: $out"
	like "${out,,}" "(auth|password|login|credential)" "  and it says what is wrong"
}

for f in $files; do
	path=$ROAM_TOP/contrib/$f
	# /etc/cron.d files carry a user field; a crontab line for `crontab -e` does not
	if grep -q '/etc/cron\.d' "$path"; then system=1 kind="/etc/cron.d file"; else system=0 kind="user crontab"; fi
	entries=$(parse "$path" "$system" 2>"$LAB_TMP/parse.err"); prc=$?
	is "$prc:$(cat "$LAB_TMP/parse.err")" "0:" "$f ($kind): every line parses (time fields$([ "$system" = 0 ] || echo ", user"), no bare %)"
	ok "$f: at least one entry" test -n "$entries"
	if [ "$system" = 1 ]; then
		# Debian's cron skips /etc/cron.d files whose names have a dot (run-parts rules)
		name=$(grep -oE '/etc/cron\.d/[^ ]+' "$path" | head -n1 | sed 's,.*/,,; s/[`.,;:)]*$//')
		like "$name" '^[A-Za-z0-9_-]+$' "$f: the name it asks for in /etc/cron.d, '$name', is one cron reads (no dot)"
	fi
	if [ "$system" = 1 ]; then
		# cron's parser reads the user field of /etc/cron.d; crontab(1) has none
		grep -vE '^[[:space:]]*(#|$)' "$path" |
			awk '/^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*[[:space:]]*=/ { print; next }
			     /^@/ { $2 = ""; print; next } { $6 = ""; print }' >"$LAB_TMP/crontab"
	else
		cp "$path" "$LAB_TMP/crontab"
	fi
	ok "$f: crontab(1) accepts it (cron's own parser)" crontab_accepts "$LAB_TMP/crontab"
	while IFS=$'\t' read -r user cmd; do
		[ "$user" != - ] || user=root
		case $cmd in
		*roam-probe*)
			note "$f: $cmd"
			probe_host "$user" "$cmd"
			[ "$system" != 1 ] || cron_live "$path" "$name"
			;;
		*roam-fetch*) note "$f: $cmd"; fetch_host "$user" "$cmd" ;;
		*roam-tunnel*) note "$f: $cmd"; tunnel_host "$user" "$cmd" ;;
		*) skip "$f: run '$cmd'" "no host scenario for this command" ;;
		esac
	done <<<"$entries"
done
done_testing
