#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/roam-probe.service as systemd would take it: `systemd-analyze verify`
# on the shipped file (it needs no running systemd: it loads the unit into a
# private manager and checks the ExecStart binary and the man pages named in
# Documentation=, here made real by a private mount of a `make install` tree on
# /usr/local), then its ExecStart run with the unit's credentials (setpriv:
# the user, CapabilityBoundingSet/AmbientCapabilities, NoNewPrivileges, a
# clean environment) on a mail server namespace with a laptop beside it:
# foreground, state written over raw ICMP, ExecReload re-reads /etc/roam.conf,
# SIGTERM stops it cleanly.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
unit=$(cl_file '*.service')
[ -n "$unit" ] || cl_skip_all "roam-probe.service"
command -v systemd-analyze >/dev/null || { echo "1..0 # SKIP no systemd-analyze (systemd)"; exit 0; }
lab_require_root
lab_init
plan 14

# key UNIT-KEY: the last value of a key in the unit (systemd: the last one wins)
key() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$unit" | tail -n1; }

ok "make install into a private /usr/local" cl_install
out=$(cl_host systemd-analyze verify "$unit" 2>&1); rc=$?
is "$rc:$out" "0:" "systemd-analyze verify ${unit##*/}: no complaint (binary and man pages found)"
exec_start=$(key ExecStart)
like "$exec_start" '^/usr/local/sbin/roam-probe( .*)? --watch( |$)' "ExecStart runs /usr/local/sbin/roam-probe --watch"
like "$(key Type)" '^(simple|exec|)$' "Type=simple or exec: --watch stays in the foreground"
# DynamicUser= moves StateDirectory= below /var/lib/private (0700, not for
# unprivileged users: systemd.exec(5)) behind a symbolic link /var/lib/roam.
# procmail runs roam-redirect as the mail's user, who must read the state.
like "$(key DynamicUser)" '^(no|false|0|)$' \
	"no DynamicUser=: the state directory stays readable for procmail's users"

# ---- the service itself, with the unit's credentials ---------------------------
mail=$(lab_ns mail)
laptop=$(lab_ns laptop)
lab_link "$mail" 198.51.100.152/24 "$laptop" 198.51.100.180/24
cl_wait_reachable "$mail" 198.51.100.180
# what StateDirectory=roam does: /var/lib/roam owned by the service's user,
# StateDirectoryMode=; with DynamicUser=yes, /var/lib/private/roam (private/
# 0700) and a symbolic link /var/lib/roam -> private/roam (systemd.exec(5))
user=$(key User)
[ "$(key DynamicUser)" != yes ] || user=nobody      # a dynamic uid: any unprivileged one
uid=0 gid=0
# the unit's User= as the host has it, else as contrib's sysusers.d file declares
# it, made in the private /etc only (a free system id): the host's stays as it is
sysusers=$(cl_file '*.sysusers')
if [ -n "$user" ] && [ "$user" != root ] && getent passwd "$user" >/dev/null; then
	uid=$(id -u "$user") gid=$(id -g "$user")
	skip "contrib declares the unit's user" "$user exists on this host already"
elif [ -n "$user" ] && [ "$user" != root ]; then
	like "$(awk -v u="$user" '$1 == "u" && $2 == u { print $2 }' "$sysusers" 2>/dev/null)" \
		"^$user\$" "contrib/${sysusers##*/} declares the unit's user $user"
	for ((uid = 999; uid >= 100; uid--)); do
		getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null || break
	done
	gid=$uid
	cp /etc/passwd /etc/group "$LAB_TMP/etc/upper/"
	echo "$user:x:$uid:$gid::/var/lib/$user:/usr/sbin/nologin" >>"$LAB_TMP/etc/upper/passwd"
	echo "$user:x:$gid:" >>"$LAB_TMP/etc/upper/group"
else
	is "${user:-root}" "a dedicated user" "the unit names a dedicated user"
fi
state=$LAB_TMP/state
if [ "$(key DynamicUser)" = yes ]; then
	mkdir -m 0700 "$LAB_TMP/private"
	mkdir -m "$(key StateDirectoryMode | sed 's/^$/0755/')" "$LAB_TMP/private/roam"
	ln -s private/roam "$state"
else
	mkdir -m "$(key StateDirectoryMode | sed 's/^$/0755/')" "$state"
fi
chown "$uid:$gid" "$state/."
cl_conf "[probe]
target = 198.51.100.180
state_dir = $state
interval = 1
count = 2
timeout = 500"

caps=$(key CapabilityBoundingSet | tr 'A-Z ' 'a-z,' | sed 's/cap_//g')
ambient=$(key AmbientCapabilities | tr 'A-Z ' 'a-z,' | sed 's/cap_//g')
cred=(setpriv --bounding-set="-all${caps:+,+${caps//,/,+}}" --inh-caps="-all${ambient:+,+${ambient//,/,+}}")
[ -z "$ambient" ] || cred+=(--ambient-caps="+${ambient//,/,+}")
[ "$uid" = 0 ] || cred+=(--reuid="$uid" --regid="$gid" --clear-groups)
[ "$(key NoNewPrivileges)" != yes ] || cred+=(--no-new-privs)
note "credentials: ${cred[*]}"
# systemd's environment for a system service
envi=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
# shellcheck disable=SC2086  # ExecStart is split into words, as systemd does
cl_host_cmd --ns "$mail" "${envi[@]}" "${cred[@]}" -- $exec_start
"${CL_CMD[@]}" >"$LAB_TMP/svc.log" 2>&1 &
pid=$!

# wait_for FILE: poll up to ~10 s (the service is alive all along)
wait_for() {
	local i
	for ((i = 0; i < 1000; i++)); do
		[ -s "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
ok "the service writes the laptop's state file" wait_for "$state/198.51.100.180"
like "$(cat "$state/198.51.100.180" 2>/dev/null)" '^v1 alive [0-9]+ [0-9]+ [0-9]+ icmp$' \
	"alive, over raw ICMP with the unit's capabilities only"
kill -0 "$pid" 2>/dev/null
is "$?" 0 "still running in the foreground"

# ExecReload, as written in the unit, with $MAINPID
reload=$(key ExecReload)
if [ -n "$reload" ]; then
	cl_conf "[probe]
target = 198.51.100.180 198.51.100.181
state_dir = $state
interval = 1
count = 2
timeout = 500"
	${reload//\$MAINPID/$pid}
	ok "ExecReload (${reload}): the new /etc/roam.conf is read (a second target's state appears)" \
		wait_for "$state/198.51.100.181"
	like "$(cat "$state/198.51.100.181" 2>/dev/null)" '^v1 dead ' "  and the silent address is dead"
else
	skip "ExecReload re-reads the configuration" "the unit has no ExecReload"
	skip "ExecReload re-reads the configuration" "the unit has no ExecReload"
fi

# systemctl stop: SIGTERM (KillSignal= default). A clean stop is status 0 or
# death by SIGTERM; Restart=on-failure restarts neither.
kill -TERM "$pid"
wait "$pid"; rc=$?
like "$rc" '^(0|143)$' "SIGTERM stops it cleanly (status $rc)"
[ "$rc" = 0 ] || [ "$rc" = 143 ] || diag "$(tail -n 5 "$LAB_TMP/svc.log")"

# RestrictAddressFamilies= cannot be emulated here (seccomp): watch one pass
# of the same command under strace instead; every family it opens must be allowed
fams=$(key RestrictAddressFamilies)
if [ -z "$fams" ]; then
	skip "every socket family it opens is in RestrictAddressFamilies=" "the unit sets none"
elif ! command -v strace >/dev/null; then
	skip "every socket family it opens is in RestrictAddressFamilies=" "no strace"
else
	# shellcheck disable=SC2086
	# strace runs with the unit's credentials too: its log goes where that user may write
	mkdir -m 0700 "$LAB_TMP/trace" && chown "$uid:$gid" "$LAB_TMP/trace"
	cl_host --ns "$mail" "${envi[@]}" "${cred[@]}" -- strace -f -qq -e trace=socket -o "$LAB_TMP/trace/strace" \
		${exec_start/ --watch/} >/dev/null 2>&1
	used=$(grep -oE 'socket\(AF_[A-Z0-9]+' "$LAB_TMP/trace/strace" | cut -c8- | sort -u | tr '\n' ' ')
	extra=$(for f in $used; do [[ " $fams " == *" $f "* ]] || echo "$f"; done)
	like "$(wc -w <<<"$used"):$extra" '^[1-9][0-9]*:$' \
		"every socket family one pass opens (${used% }) is in RestrictAddressFamilies=$fams"
fi

# a broken /etc/roam.conf: it must fail (Restart=on-failure, and the journal says why)
cl_conf "[probe]
tagret = 198.51.100.180"
# shellcheck disable=SC2086
err=$(cl_host --ns "$mail" "${envi[@]}" "${cred[@]}" -- $exec_start 2>&1 >/dev/null); rc=$?
like "$rc:$err" '^[1-9][0-9]*:.*/etc/roam.conf:2:' "a broken /etc/roam.conf: non-zero exit, the error names file and line"

if systemd-analyze security --help >/dev/null 2>&1; then
	note "$(cl_host systemd-analyze security --offline=yes "$unit" 2>&1 | tail -n 1)"
fi
done_testing
