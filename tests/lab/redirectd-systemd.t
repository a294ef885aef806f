#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/roam-redirectd.socket and .service as systemd takes them:
# `systemd-analyze verify` of both on a `make install` tree, the socket where
# contrib/postfix-main.cf looks (mode 0660, group postfix), then the unit's
# ExecStart under systemd-socket-activate (systemd's own LISTEN_FDS
# launcher) with the unit's credentials: the first lookup starts it, systemd's
# unix and TCP sockets answer, [redirect] socket is not made, ExecReload takes
# a new table, SIGTERM leaves systemd's socket alone. And the activation
# protocol's bad cases: LISTEN_PID of another process (ignored), a descriptor
# that is no listening socket, too many descriptors (refused, exit 3).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
svc=$(cl_file roam-redirectd.service) sock_unit=$(cl_file roam-redirectd.socket)
[ -n "$svc" ] && [ -n "$sock_unit" ] || cl_skip_all "roam-redirectd.service and .socket"
for c in systemd-analyze systemd-socket-activate postmap; do
	command -v "$c" >/dev/null || { echo "1..0 # SKIP no $c (systemd, postfix)"; exit 0; }
done
lab_require_root
lab_init
plan 17

# key FILE KEY: the last value of a key in a unit (systemd: the last one wins)
key() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n1; }

ok "make install into a private /usr/local" cl_install
out=$(cl_host systemd-analyze verify "$sock_unit" "$svc" 2>&1); rc=$?
is "$rc:$out" "0:" "systemd-analyze verify both units: no complaint (binary and man pages found)"
pf_sock=$(sed -n 's|^transport_maps = socketmap:unix:\(.*\):transport$|\1|p' "$ROAM_TOP/contrib/postfix-main.cf")
is "$(key "$sock_unit" ListenStream) $(key "$sock_unit" SocketMode) $(key "$sock_unit" SocketGroup)" \
	"$pf_sock 0660 postfix" "the socket is where contrib/postfix-main.cf looks, 0660, group postfix"
exec_start=$(key "$svc" ExecStart)
like "$exec_start" '^/usr/local/sbin/roam-redirectd( |$)' "ExecStart runs /usr/local/sbin/roam-redirectd"
like "$(key "$svc" Requires) $(key "$svc" Type)" '^roam-redirectd\.socket (simple|exec)?$' \
	"  in the foreground, and requires its socket unit"

# ---- the service, as systemd starts it --------------------------------------
D=$LAB_TMP/rd
mkdir -p "$D/state"
chmod 0755 "$LAB_TMP" "$D"
SOCK=$D/run/redirect.sock PORT=$(lab_free_port)
mkdir -p "$D/run"
A=alice@example.org
echo "$A 198.51.100.180 alice@laptop.example.net" >"$D/recipients"
chmod 0644 "$D/recipients"
now=$(date +%s)
echo "v1 alive $((now - 60)) $now 0 dgram" >"$D/state/198.51.100.180"
echo "v1 alive $((now - 60)) $now 0 dgram" >"$D/state/198.51.100.181"
cl_conf "[redirect]
recipients = $D/recipients
state_dir = $D/state
socket = $D/own.sock
socket_group = $(id -gn)"
# the unit's credentials: its User= (or nobody when the host has no such
# user), an empty bounding set, NoNewPrivileges; systemd's clean environment
user=$(key "$svc" User)
getent passwd "$user" >/dev/null || user=nobody
cred=(setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups --bounding-set=-all)
[ "$(key "$svc" NoNewPrivileges)" != yes ] || cred+=(--no-new-privs)
envi=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
# shellcheck disable=SC2086  # ExecStart is split into words, as systemd does
cl_host_cmd "${envi[@]}" systemd-socket-activate -l "$SOCK" -l "127.0.0.1:$PORT" \
	"${cred[@]}" -- $exec_start -v
"${CL_CMD[@]}" >"$D/svc.log" 2>&1 &
pid=$!
for ((i = 0; i < 500; i++)); do [ -S "$SOCK" ] && break; sleep 0.01; done
q() { timeout 10 postmap -q "$1" "socketmap:$2:transport" 2>&1; }
is "$(q "$A" "unix:$SOCK")" "smtp:[198.51.100.180]" "the first lookup on systemd's unix socket starts it and is answered"
is "$(q "$A" "inet:127.0.0.1:$PORT")" "smtp:[198.51.100.180]" "  systemd's TCP socket answers too"
like "$(cat "$D/svc.log")" "on $SOCK \\(from systemd\\) and 127.0.0.1:$PORT \\(from systemd\\)" \
	"  it logs both as systemd's"
ok "  [redirect] socket is not made" test ! -e "$D/own.sock"
is "$(awk '$1 == "Uid:" { print $2 }' /proc/"$pid"/status)" "$(id -u "$user")" \
	"  it runs as the unit's user ($user), the socket made by systemd beforehand"
echo "$A 198.51.100.181 alice@laptop2.example.net" >"$D/recipients"
reload=$(key "$svc" ExecReload)
${reload//\$MAINPID/$pid}
for ((i = 0; i < 300; i++)); do grep -q reloaded "$D/svc.log" && break; sleep 0.01; done
is "$(q "$A" "unix:$SOCK")" "smtp:[198.51.100.181]" "ExecReload ($reload): the new table answers"
kill -TERM "$pid"
wait "$pid"; rc=$?
is "$rc" 0 "SIGTERM stops it, status 0"
ok "  systemd's socket file is left to systemd" test -S "$SOCK"

# ---- the protocol's bad cases -------------------------------------------------
RD=$ROAM_BUILD/roam-redirectd C="-c $CL_CONF"
run_as() {	# run_as ENV-SETUP: roam-redirectd with that environment and fd 3 set up
	timeout 5 bash -c "$1"' exec "$0" "$@"' "$RD" -c "$CL_CONF" 2>&1
}
err=$(run_as 'exec 3</dev/null; export LISTEN_PID=$$ LISTEN_FDS=1;'); rc=$?
is "$rc:$err" "3:roam-redirectd: socket activation: descriptor 3 is not a listening stream socket" \
	"LISTEN_FDS on a file that is no socket: refused, exit 3"
err=$(run_as 'export LISTEN_PID=$$ LISTEN_FDS=3;'); rc=$?
like "$rc:$err" "^3:.*LISTEN_FDS=3: roam-redirectd takes 1 or 2 sockets" "three descriptors: refused, exit 3"
err=$(run_as 'export LISTEN_PID=$$ LISTEN_FDS=1x;'); rc=$?
like "$rc:$err" "^3:.*LISTEN_FDS=1x" "LISTEN_FDS not a number: refused, exit 3"
# LISTEN_PID of another process: not for us, the configured socket is made
LISTEN_PID=1 LISTEN_FDS=1 "$RD" $C 2>>"$D/own.log" &
own=$!
for ((i = 0; i < 300; i++)); do [ -S "$D/own.sock" ] && break; sleep 0.01; done
is "$(q "$A" "unix:$D/own.sock")" "smtp:[198.51.100.181]" "LISTEN_PID of another process: ignored, [redirect] socket used"
kill -TERM "$own"; wait "$own"
done_testing
