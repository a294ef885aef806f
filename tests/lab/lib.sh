# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/lab/lib.sh — helpers for roam's lab tests (bash, TAP, real servers).
#
# A lab test starts with
#     . "$ROAM_TOP/tests/lab/lib.sh"
#     lab_require_root
#     lab_init
# and ends with `done_testing`. ROAM_TOP and ROAM_BUILD come from the Makefile;
# when unset, ROAM_TOP is the repository this file lives in and ROAM_BUILD is
# $ROAM_TOP/build.
#
# Rules every helper keeps: packets stay inside namespaces created here (veth
# pairs between them, never a link to the root namespace) or on 127.0.0.1;
# addresses come from RFC 5737 (and 198.18.0.0/15 for scale); everything a test
# starts or creates is undone by the EXIT trap, also when the test fails midway.
#
# API
#   lab_init                  $LAB_TMP (mktemp -d under $TMPDIR, else /dev/shm when it is
#                             a tmpfs, else /tmp), random $LAB_ID, EXIT/INT/TERM trap
#                             that stops every server, deletes every namespace and
#                             removes $LAB_TMP (lab_cleanup: idempotent)
#   lab_require_root          not root → prints "1..0 # SKIP not root", exits 0
#   lab_cleanup               what the trap runs; safe to call more than once. It also
#                             stops the test shell's own background jobs.
#
#   plan N                    "1..N"
#   ok "desc" CMD [ARGS…]     runs CMD in the current shell (its variables stick),
#                             output captured and shown only on failure
#   is GOT WANT "desc"        string equality
#   like GOT ERE "desc"       bash [[ =~ ]] match
#   skip "desc" "reason"      "ok N - desc # skip reason"
#   diag MSG…                 "# MSG" on stderr (shown by prove)
#   note MSG…                 "# MSG" on stdout (shown by prove -v)
#   done_testing              prints the plan when `plan` was not called; exits with
#                             the number of failures (max 254; a wrong count is one more)
#
#   ns=$(lab_ns NAME)         namespace roam-$LAB_ID-NAME, lo up, deleted on exit
#   lab_link NS1 A1/LEN NS2 A2/LEN
#                             veth pair created inside NS1 with its peer in NS2,
#                             addresses set, both up; sets LAB_LINK_IF1 LAB_LINK_IF2.
#                             Call it directly, not in $(...).
#   lab_free_port             prints a free TCP port in 20000–59999 on 127.0.0.1
#
#   lab_sshd [--ns NS] ADDR [PORT]
#                             private /usr/sbin/sshd: own config and ed25519 host key,
#                             key-only auth (root allowed with a key), TCP forwarding
#                             allowed. PORT defaults to a free high port. Sets
#                             LAB_SSH_KEY (client ed25519 private key, no passphrase)
#                             LAB_SSH_KNOWN_HOSTS ([ADDR]:PORT ssh-ed25519 …, plus ADDR
#                             alone when PORT is 22) LAB_SSH_USER LAB_SSH_HOST
#                             LAB_SSH_PORT LAB_SSHD_PID, and also
#                             LAB_SSH_AUTHORIZED_KEYS (to add options such as
#                             command="…",restrict), LAB_SSHD_CONFIG, LAB_SSHD_LOG.
#                             Client options that ignore ~/.ssh: "${LAB_SSH_OPTS[@]}".
#                             LAB_SSHD_START_MS: how long the start took (keys included).
#   lab_sshd_files DIR ADDR PORT LABEL
#                             only the files: host key, authorized_keys, sshd_config,
#                             known_hosts (for daemons started some other way, as in
#                             the demo)
#   lab_tunnel_conf FILE gateway|mobile [KEY=VALUE…]
#                             a [tunnel] config of the seed's addresses (DESIGN.md);
#                             KEY=VALUE replaces or adds a key
#   lab_ssh ARGS…             ssh "${LAB_SSH_OPTS[@]}" -p PORT USER@HOST ARGS… (runs inside
#                             the server's namespace when it has one)
#
#   lab_dovecot [--ns NS] ADDR [PORT]
#                             private dovecot (POP3 only, no TLS, PLAIN auth), one
#                             passwd-file user whose mail processes run as nobody:nogroup.
#                             Sets LAB_POP3_USER (alice) LAB_POP3_PASS LAB_POP3_PASSFILE
#                             (0600, the password only) LAB_MAILDIR LAB_DOVECOT_PID
#                             LAB_POP3_HOST LAB_POP3_PORT, and also LAB_DOVECOT_CONFIG,
#                             LAB_DOVECOT_LOG. UIDLs are the Maildir base names (%g):
#                             stable across restarts.
#   lab_dovecot_files DIR ADDR PORT INSTANCE
#                             only the files: user alice, DIR/pop3.pass, DIR/passwd,
#                             DIR/home/Maildir, DIR/dovecot.conf (for daemons started
#                             some other way, as in the demo)
#   lab_dovecot_stop          stops it (master + children), waits until gone
#   lab_dovecot_start         starts it again with the same config and mailbox
#                             (LAB_DOVECOT_START_MS, LAB_DOVECOT_STOP_MS: the durations)
#   lab_fill_mailbox N [BYTES]
#                             N messages (default ~2048 bytes each) straight into
#                             $LAB_MAILDIR/new, owned by the mail uid; each has a unique
#                             Message-ID, "Subject: roam test I" (I = 1..N), a body line
#                             starting with "From " and lines starting with ".".
#
# Every helper returns non-zero and says why on stderr ("lab: …") when it fails,
# so `ok "sshd starts" lab_sshd 127.0.0.1` reports it as a failed test. ok, is and
# like return their result too (a test under set -e stops at its first failure;
# the trap still cleans up). Several lab_sshd / lab_dovecot calls are fine: every
# one is stopped on exit, the variables describe the latest, and
# lab_dovecot_stop/start act on the latest dovecot.

: "${ROAM_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${ROAM_BUILD:=$ROAM_TOP/build}"
export ROAM_TOP ROAM_BUILD

LAB_MAIL_USER=nobody            # the uid/gid dovecot's mail processes run as
LAB_MAIL_GROUP=nogroup
_LAB_TAP_N=0 _LAB_TAP_FAIL=0 _LAB_TAP_PLAN=     # TAP counters

# ---- internals --------------------------------------------------------------

_lab_err() { echo "lab: $*" >&2; }

# _lab_now: seconds since the epoch with microseconds (bash 5 $EPOCHREALTIME)
_lab_now() { echo "${EPOCHREALTIME/,/.}"; }

# _lab_ms START: milliseconds elapsed since START (from _lab_now)
_lab_ms() { awk -v a="$1" -v b="$(_lab_now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# _lab_in NS CMD…: run CMD inside NS, or here when NS is empty
_lab_in() {
	local ns=$1; shift
	if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# _lab_register KIND VALUE: remember something for lab_cleanup. A file, not a
# variable, because helpers may run in $(...) subshells.
_lab_register() { echo "$1 $2" >>"$LAB_TMP/.cleanup"; }

# _lab_dir PREFIX: a fresh numbered directory $LAB_TMP/PREFIX-N, printed
_lab_dir() {
	local n=1
	while ! mkdir "$LAB_TMP/$1-$n" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 1000 ] || { _lab_err "cannot create $LAB_TMP/$1-N"; return 1; }
	done
	echo "$LAB_TMP/$1-$n"
}

# _lab_ours PID: true when PID is alive and its command line names a file in
# $LAB_TMP (our servers are all started with a config there), so a stale pid
# file never makes us kill someone else's process.
_lab_ours() {
	local pid=$1 cmd
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *"$LAB_TMP"* ]]
}

# _lab_descendants PID: every descendant of PID, deepest last
_lab_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		_lab_descendants "$c"
	done
}

# _lab_kill [-g CENTISECONDS] PID…: TERM, wait up to 2 s (or the grace time
# given, in 10 ms steps), then KILL what is left
_lab_kill() {
	local p i alive grace=200
	if [ "${1:-}" = -g ]; then grace=$2; shift 2; fi
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	for ((i = 0; i < grace; i++)); do
		alive=
		for p in "$@"; do
			# a zombie child of ours counts as gone
			if kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
				alive=1; break
			fi
		done
		[ -n "$alive" ] || break
		sleep 0.01
	done
	[ -z "$alive" ] || kill -KILL "$@" 2>/dev/null || true
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
	return 0
}

# _lab_stop_pidfile FILE [CENTISECONDS]: stop the server whose pid FILE holds,
# and its children (grace time as for _lab_kill)
_lab_stop_pidfile() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	_lab_ours "$pid" || return 0
	# shellcheck disable=SC2046  # word splitting of the pid list is wanted
	_lab_kill -g "${2:-200}" "$pid" $(_lab_descendants "$pid")
}

# _lab_wait_banner NS ADDR PORT PREFIX [TRIES]: poll (10 ms steps, ~5 s by
# default) until a TCP connect to ADDR:PORT reads a first line starting with PREFIX
_lab_wait_banner() {
	local ns=$1 addr=$2 port=$3 prefix=$4 tries=${5:-500} i
	# shellcheck disable=SC2016  # expanded by the inner bash
	local probe='exec 3<>"/dev/tcp/$0/$1" || exit 1; IFS= read -r -t 1 l <&3 || exit 1; [[ $l == "$2"* ]]'
	for ((i = 0; i < tries; i++)); do
		_lab_in "$ns" bash -c "$probe" "$addr" "$port" "$prefix" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

# ---- set-up and cleanup -----------------------------------------------------

lab_require_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP not root"
		exit 0
	fi
}

# _lab_tmpbase: where LAB_TMP goes. $TMPDIR when set; else /dev/shm when it is a
# writable tmpfs without noexec (file creation there is ~40x faster than on this
# machine's ext4 /tmp: 1000 small files 16 ms against 620 ms); else /tmp.
_lab_tmpbase() {
	if [ -n "${TMPDIR:-}" ]; then
		echo "$TMPDIR"
	elif [ -d /dev/shm ] && [ -w /dev/shm ] &&
		findmnt -no FSTYPE,OPTIONS -T /dev/shm 2>/dev/null | grep -q '^tmpfs' &&
		! findmnt -no OPTIONS -T /dev/shm 2>/dev/null | grep -qw noexec; then
		echo /dev/shm
	else
		echo /tmp
	fi
}

lab_init() {
	LAB_TMP=$(mktemp -d "$(_lab_tmpbase)/roam-lab.XXXXXX") || { _lab_err "mktemp failed"; exit 1; }
	# other users (the mail uid, dovecot's login user) must reach files below
	chmod 0711 "$LAB_TMP"
	LAB_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	LAB_OWNER=$BASHPID
	: >"$LAB_TMP/.cleanup"
	export LAB_TMP LAB_ID
	trap lab_cleanup EXIT
	trap 'lab_cleanup; trap - EXIT; exit 130' INT
	trap 'lab_cleanup; trap - EXIT; exit 143' TERM
}

lab_cleanup() {
	# only the shell that ran lab_init cleans up, and only once
	[ -n "${LAB_TMP:-}" ] && [ -d "$LAB_TMP" ] || return 0
	[ "${LAB_OWNER:-}" = "$BASHPID" ] || return 0
	# a test with set -e must not stop its cleanup at the first failing command
	local - kind val pids
	set +e
	# (here-strings, not <(…): a VM guest's bare devtmpfs has no /dev/fd)
	if [ -f "$LAB_TMP/.cleanup" ]; then
		# servers first (newest first), then namespaces. KILL after 250 ms: a
		# dovecot master and its log process can otherwise linger for a second.
		while read -r kind val; do
			[ "$kind" = pidfile ] && _lab_stop_pidfile "$val" 25
		done <<<"$(tac "$LAB_TMP/.cleanup")"
		while read -r kind val; do
			[ "$kind" = netns ] || continue
			ip netns list 2>/dev/null | grep -q "^$val\\b" || continue
			# anything still running in a namespace we made is ours too
			pids=$(ip netns pids "$val" 2>/dev/null)
			# shellcheck disable=SC2086
			[ -z "$pids" ] || _lab_kill $pids
			ip netns del "$val" 2>/dev/null || _lab_err "cannot delete namespace $val"
		done <<<"$(tac "$LAB_TMP/.cleanup")"
	fi
	# background jobs the test itself started (an ssh session, a sleep) go too
	pids=$(jobs -p)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || _lab_kill $pids
	rm -rf "$LAB_TMP"
	return 0
}

# ---- TAP ---------------------------------------------------------------------

plan() { _LAB_TAP_PLAN=$1; echo "1..$1"; }

diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*" >&2; }
note() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }

# _lab_result OK DESC: print one TAP line, count failures
_lab_result() {
	_LAB_TAP_N=$((_LAB_TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_LAB_TAP_N - $2"
	else
		echo "not ok $_LAB_TAP_N - $2"
		_LAB_TAP_FAIL=$((_LAB_TAP_FAIL + 1))
		diag "  Failed test '$2'"
	fi
}

ok() {
	local desc=$1 rc out dir=${LAB_TMP:-}
	shift
	[ -n "$dir" ] && [ -d "$dir" ] || dir=${TMPDIR:-/tmp}
	out=$(mktemp "$dir/.roam-ok.XXXXXX")
	# in the current shell, so that helpers like lab_sshd keep their variables
	"$@" >"$out" 2>&1 && rc=0 || rc=$?
	_lab_result "$rc" "$desc"
	if [ "$rc" != 0 ]; then
		diag "  command: $*"
		diag "  exit status: $rc"
		[ -s "$out" ] && diag "$(sed 's/^/  | /' "$out" | tail -n 20)"
	fi
	rm -f "$out"
	return "$rc"
}

is() {
	if [ "$1" = "$2" ]; then
		_lab_result 0 "$3"
	else
		_lab_result 1 "$3"
		diag "     got: '$1'"
		diag "expected: '$2'"
		return 1
	fi
}

like() {
	if [[ $1 =~ $2 ]]; then
		_lab_result 0 "$3"
	else
		_lab_result 1 "$3"
		diag "     got: '$1'"
		diag "expected to match: /$2/"
		return 1
	fi
}

skip() {
	_LAB_TAP_N=$((_LAB_TAP_N + 1))
	echo "ok $_LAB_TAP_N - $1 # skip ${2:-}"
}

done_testing() {
	local fail=$_LAB_TAP_FAIL
	if [ -z "$_LAB_TAP_PLAN" ]; then
		echo "1..$_LAB_TAP_N"
	elif [ "$_LAB_TAP_PLAN" != "$_LAB_TAP_N" ]; then
		diag "planned $_LAB_TAP_PLAN tests but ran $_LAB_TAP_N"
		fail=$((fail + 1))
	fi
	[ "$fail" = 0 ] || diag "failed $_LAB_TAP_FAIL of $_LAB_TAP_N tests"
	[ "$fail" -le 254 ] || fail=254
	exit "$fail"
}

# ---- namespaces --------------------------------------------------------------

lab_ns() {
	local name="roam-$LAB_ID-$1"
	ip netns add "$name" || { _lab_err "cannot create namespace $name"; return 1; }
	_lab_register netns "$name"
	ip -n "$name" link set lo up || return 1
	echo "$name"
}

lab_link() {
	[ $# = 4 ] || { _lab_err "usage: lab_link NS1 ADDR1/LEN NS2 ADDR2/LEN"; return 1; }
	local ns1=$1 a1=$2 ns2=$3 a2=$4 n
	# grep -c prints 0 but exits 1 when nothing matched: that must not trip set -e
	n=$(grep -c '^link ' "$LAB_TMP/.cleanup" || true)
	_lab_register link "$ns1:$ns2"      # for the numbering only: links die with their namespace
	LAB_LINK_IF1="lab${n}a" LAB_LINK_IF2="lab${n}b"
	# created inside NS1, peer moved straight to NS2: the root namespace never sees it
	ip -n "$ns1" link add "$LAB_LINK_IF1" type veth peer name "$LAB_LINK_IF2" netns "$ns2" &&
	ip -n "$ns1" addr add "$a1" dev "$LAB_LINK_IF1" &&
	ip -n "$ns2" addr add "$a2" dev "$LAB_LINK_IF2" &&
	ip -n "$ns1" link set "$LAB_LINK_IF1" up &&
	ip -n "$ns2" link set "$LAB_LINK_IF2" up ||
		{ _lab_err "lab_link $*: failed"; return 1; }
}

lab_free_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 40000))
		# ss prints a header line only when nothing uses the port
		[ "$(ss -Htan "sport = :$port" 2>/dev/null | wc -l)" = 0 ] && { echo "$port"; return 0; }
	done
	_lab_err "no free port found"
	return 1
}

# ---- roam-tunnel configs ---------------------------------------------------------

# lab_tunnel_conf FILE gateway|mobile [KEY=VALUE…]: a [tunnel] config of the
# seed's topology (DESIGN.md): the gateway at 198.51.100.238 with 192.0.2.10,
# the mobile at 203.0.113.230 with 192.0.2.20, exported 198.51.100.180.
# KEY=VALUE replaces the seed's value, or adds the key, in the order given.
lab_tunnel_conf() {
	local file=$1 role=$2 kv k
	local -a keys
	local -A v=([exported]=198.51.100.180)
	shift 2
	case $role in
	gateway)
		keys=(local remote inner_local inner_remote exported)
		v+=([local]=198.51.100.238 [remote]=203.0.113.230 [inner_local]=192.0.2.10
			[inner_remote]=192.0.2.20) ;;
	mobile)
		keys=(remote inner_local inner_remote exported)
		v+=([remote]=198.51.100.238 [inner_local]=192.0.2.20 [inner_remote]=192.0.2.10) ;;
	*) _lab_err "lab_tunnel_conf: role '$role'"; return 1 ;;
	esac
	for kv in "$@"; do
		k=${kv%%=*}
		[ -n "${v[$k]+set}" ] || keys+=("$k")
		v[$k]=${kv#*=}
	done
	{
		echo "[tunnel]"
		echo "role = $role"
		for k in "${keys[@]}"; do echo "$k = ${v[$k]}"; done
	} >"$file"
}

# ---- sshd ----------------------------------------------------------------------

# lab_sshd_files DIR ADDR PORT LABEL: what a private, key-only sshd on ADDR:PORT
# needs, in DIR: a host key (commented LABEL), authorized_keys holding the
# lab's client key $LAB_TMP/id_ed25519 (made when missing), sshd_config and
# known_hosts ("[ADDR]:PORT key", and "ADDR key" too on port 22). lab_sshd uses
# it, and so does the demo, which starts its daemons its own way.
lab_sshd_files() {
	local dir=$1 addr=$2 port=$3 label=$4 h
	# one client key per lab, shared by every sshd of the test
	if [ ! -f "$LAB_TMP/id_ed25519" ]; then
		ssh-keygen -q -t ed25519 -N '' -C "roam-lab-$LAB_ID" -f "$LAB_TMP/id_ed25519" ||
			{ _lab_err "ssh-keygen (client) failed"; return 1; }
	fi
	ssh-keygen -q -t ed25519 -N '' -C "$label" -f "$dir/host_ed25519" ||
		{ _lab_err "ssh-keygen (host) failed"; return 1; }
	cp "$LAB_TMP/id_ed25519.pub" "$dir/authorized_keys"
	cat >"$dir/sshd_config" <<-EOF
		# private sshd of a roam lab test ($LAB_ID): $label
		ListenAddress $addr:$port
		HostKey $dir/host_ed25519
		PidFile $dir/sshd.pid
		AuthorizedKeysFile $dir/authorized_keys
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		UsePAM no
		StrictModes no
		AllowTcpForwarding yes
		X11Forwarding no
		PrintMotd no
		UseDNS no
		LogLevel VERBOSE
		# \$SSH_USER_AUTH names the key: roam-tunnel register logs it
		ExposeAuthInfo yes
		Subsystem sftp internal-sftp
	EOF
	h=$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")
	{
		echo "[$addr]:$port $h"
		[ "$port" != 22 ] || echo "$addr $h"
	} >"$dir/known_hosts"
}

lab_sshd() {
	local ns="" addr port dir t0
	if [ "${1:-}" = --ns ]; then ns=$2; shift 2; fi
	addr=${1:?lab_sshd [--ns NS] ADDR [PORT]}
	port=${2:-}
	[ -n "$port" ] || port=$(lab_free_port) || return 1
	t0=$(_lab_now)
	dir=$(_lab_dir sshd) || return 1
	[ -d /run/sshd ] || mkdir -m 0755 /run/sshd      # privilege separation dir
	lab_sshd_files "$dir" "$addr" "$port" "roam-lab-host" || return 1
	# -D: stay in the foreground. A simple command (not a function) put in the
	# background is exec'd by the forked shell, and ip netns exec execs too, so
	# $! is sshd itself.
	local cmd=(/usr/sbin/sshd -D -f "$dir/sshd_config" -E "$dir/sshd.log")
	[ -z "$ns" ] || cmd=(ip netns exec "$ns" "${cmd[@]}")
	"${cmd[@]}" </dev/null >>"$dir/sshd.log" 2>&1 &
	LAB_SSHD_PID=$!
	echo "$LAB_SSHD_PID" >"$dir/sshd.pid.start"
	_lab_register pidfile "$dir/sshd.pid.start"
	if ! _lab_wait_banner "$ns" "$addr" "$port" SSH-2.0-; then
		_lab_err "sshd on $addr:$port did not start; its log:"
		sed 's/^/lab:   /' "$dir/sshd.log" >&2
		return 1
	fi
	LAB_SSH_KEY=$LAB_TMP/id_ed25519
	LAB_SSH_KNOWN_HOSTS=$dir/known_hosts
	LAB_SSH_AUTHORIZED_KEYS=$dir/authorized_keys
	LAB_SSH_USER=$(id -un)
	LAB_SSH_HOST=$addr
	LAB_SSH_PORT=$port
	LAB_SSHD_CONFIG=$dir/sshd_config
	LAB_SSHD_LOG=$dir/sshd.log
	_LAB_SSHD_NS=$ns
	LAB_SSH_OPTS=(-F /dev/null -i "$LAB_SSH_KEY" -o IdentitiesOnly=yes
		-o UserKnownHostsFile="$LAB_SSH_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null
		-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5)
	export LAB_SSH_KEY LAB_SSH_KNOWN_HOSTS LAB_SSH_AUTHORIZED_KEYS LAB_SSH_USER \
		LAB_SSH_HOST LAB_SSH_PORT LAB_SSHD_PID LAB_SSHD_CONFIG LAB_SSHD_LOG
	LAB_SSHD_START_MS=$(_lab_ms "$t0")
}

lab_ssh() {
	_lab_in "${_LAB_SSHD_NS:-}" ssh "${LAB_SSH_OPTS[@]}" -p "$LAB_SSH_PORT" \
		"$LAB_SSH_USER@$LAB_SSH_HOST" "$@"
}

# ---- dovecot -------------------------------------------------------------------

# lab_dovecot_files DIR ADDR PORT INSTANCE: what a private dovecot needs, in DIR:
# the user alice with a random password (DIR/pop3.pass, 0600, the password only;
# DIR/passwd), her Maildir (DIR/home/Maildir, owned by the mail uid) and
# DIR/dovecot.conf listening on ADDR:PORT. lab_dovecot uses it, and so does the
# demo, which starts its daemons its own way.
lab_dovecot_files() {
	local dir=$1 addr=$2 port=$3 instance=$4 home=$1/home uid gid pass
	uid=$(id -u "$LAB_MAIL_USER") && gid=$(getent group "$LAB_MAIL_GROUP" | cut -d: -f3) ||
		{ _lab_err "no $LAB_MAIL_USER:$LAB_MAIL_GROUP"; return 1; }
	mkdir -p "$home/Maildir/new" "$home/Maildir/cur" "$home/Maildir/tmp" "$dir/state" || return 1
	chmod -R 0700 "$home" && chown -R "$uid:$gid" "$home" || return 1
	pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	(umask 077; printf '%s\n' "$pass" >"$dir/pop3.pass")
	# user:password:uid:gid:gecos:home:shell:extra — read by the auth process,
	# which runs as the dovecot user
	echo "alice:{PLAIN}$pass:$uid:$gid::$home::" >"$dir/passwd"
	if getent group dovecot >/dev/null; then
		chgrp dovecot "$dir/passwd" && chmod 0640 "$dir/passwd"
	else
		chmod 0644 "$dir/passwd"
	fi
	cat >"$dir/dovecot.conf" <<-EOF
		# private dovecot of a roam lab ($instance)
		base_dir = $dir/run
		state_dir = $dir/state
		instance_name = $instance
		log_path = $dir/dovecot.log
		info_log_path = $dir/dovecot.log
		protocols = pop3
		listen = $addr
		ssl = no
		disable_plaintext_auth = no
		auth_mechanisms = plain
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN username_format=%u $dir/passwd
		}
		userdb {
		  driver = passwd-file
		  args = username_format=%u $dir/passwd
		}
		# mail processes run as the passwd-file uid ($LAB_MAIL_USER): dovecot refuses
		# uids below first_valid_uid (and root) for mail access
		first_valid_uid = 1
		mail_location = maildir:~/Maildir
		pop3_uidl_format = %g
		service pop3-login {
		  inet_listener pop3 {
		    port = $port
		  }
		}
	EOF
}

lab_dovecot() {
	local ns="" addr port dir
	if [ "${1:-}" = --ns ]; then ns=$2; shift 2; fi
	addr=${1:?lab_dovecot [--ns NS] ADDR [PORT]}
	port=${2:-}
	[ -n "$port" ] || port=$(lab_free_port) || return 1
	dir=$(_lab_dir dovecot) || return 1
	lab_dovecot_files "$dir" "$addr" "$port" "roam-lab-$LAB_ID-${dir##*-}" || return 1
	LAB_POP3_USER=alice
	LAB_POP3_PASSFILE=$dir/pop3.pass
	LAB_POP3_PASS=$(cat "$LAB_POP3_PASSFILE")
	LAB_MAILDIR=$dir/home/Maildir
	LAB_POP3_HOST=$addr
	LAB_POP3_PORT=$port
	LAB_DOVECOT_CONFIG=$dir/dovecot.conf
	LAB_DOVECOT_LOG=$dir/dovecot.log
	_LAB_DOVECOT_NS=$ns
	_LAB_DOVECOT_DIR=$dir
	_LAB_MAIL_UID=$(id -u "$LAB_MAIL_USER") _LAB_MAIL_GID=$(getent group "$LAB_MAIL_GROUP" | cut -d: -f3)
	export LAB_POP3_USER LAB_POP3_PASS LAB_POP3_PASSFILE LAB_MAILDIR LAB_POP3_HOST \
		LAB_POP3_PORT LAB_DOVECOT_CONFIG LAB_DOVECOT_LOG
	_lab_register pidfile "$dir/run/master.pid"
	lab_dovecot_start
}

lab_dovecot_start() {
	local dir=${_LAB_DOVECOT_DIR:?lab_dovecot first} t0
	t0=$(_lab_now)
	# dovecot daemonizes once its listeners are bound; the pid is in master.pid
	if ! _lab_in "$_LAB_DOVECOT_NS" /usr/sbin/dovecot -c "$LAB_DOVECOT_CONFIG" \
			</dev/null >>"$dir/start.log" 2>&1; then
		_lab_err "dovecot did not start:"
		sed 's/^/lab:   /' "$dir/start.log" "$LAB_DOVECOT_LOG" >&2 2>/dev/null
		return 1
	fi
	if ! _lab_wait_banner "$_LAB_DOVECOT_NS" "$LAB_POP3_HOST" "$LAB_POP3_PORT" +OK; then
		_lab_err "dovecot on $LAB_POP3_HOST:$LAB_POP3_PORT does not answer +OK; its log:"
		sed 's/^/lab:   /' "$dir/start.log" "$LAB_DOVECOT_LOG" >&2 2>/dev/null
		return 1
	fi
	LAB_DOVECOT_PID=$(cat "$dir/run/master.pid")
	export LAB_DOVECOT_PID
	LAB_DOVECOT_START_MS=$(_lab_ms "$t0")
}

lab_dovecot_stop() {
	local dir=${_LAB_DOVECOT_DIR:?lab_dovecot first} t0
	t0=$(_lab_now)
	# TERM to the master and its children: the mail and auth processes go at once,
	# but the master and its log process often linger ~1 s waiting for each other
	# (measured: 50 ms to 1.1 s). Nothing is left to write by then, so KILL them
	# after 250 ms.
	_lab_stop_pidfile "$dir/run/master.pid" 25
	# The master daemonized, so init reaps it, sometimes late. Until then its pid
	# is a zombie that kill -0 still finds, and the next start would refuse with
	# "Dovecot is already running" (seen under load): the pid file goes now.
	rm -f "$dir/run/master.pid"
	LAB_DOVECOT_STOP_MS=$(_lab_ms "$t0")
}

lab_fill_mailbox() {
	local n=${1:?lab_fill_mailbox N [BYTES]} bytes=${2:-2048}
	[ -d "${LAB_MAILDIR:-}" ] || { _lab_err "lab_fill_mailbox: lab_dovecot first"; return 1; }
	# one perl process for all N: write into tmp/, then rename into new/ (Maildir rules)
	perl -e '
		use strict; use warnings; use POSIX qw(strftime);
		use Time::HiRes qw(gettimeofday);
		my ($dir, $n, $bytes, $id, $uid, $gid) = @ARGV;
		my $host = "roam-lab";
		my ($sec, $usec) = gettimeofday;
		for my $i (1 .. $n) {
			my $t = $sec - ($n - $i);           # oldest first, one second apart
			my $h = join "",
			    "Return-Path: <sender\@example.net>\n",
			    "Received: from gateway.example.net by mail.example.net; ",
			        strftime("%a, %d %b %Y %H:%M:%S +0000", gmtime $t), "\n",
			    "From: Roam Sender <sender\@example.net>\n",
			    "To: Alice <alice\@example.net>\n",
			    "Subject: roam test $i\n",
			    "Date: ", strftime("%a, %d %b %Y %H:%M:%S +0000", gmtime $t), "\n",
			    "Message-ID: <roam-$id.$sec.$usec.$i\@example.net>\n",
			    "MIME-Version: 1.0\n",
			    "Content-Type: text/plain; charset=us-ascii\n",
			    "\n";
			my $b = join "",
			    "Message $i of $n, generated for a roam lab test.\n",
			    "\n",
			    "From here on the body must survive mbox quoting:\n",
			    "From sender\@example.net Mon Jan  1 00:00:00 2024\n",
			    ".\n",
			    ".. and a line starting with a dot (POP3 dot-stuffing)\n",
			    "\n";
			my $k = 0;
			while (length($h) + length($b) < $bytes) {
				$b .= sprintf "%04d %s\n", $k++, "roam " x 13;
			}
			my $name = sprintf "%d.M%06dP%dQ%d.%s", $t, $usec, $$, $i, $host;
			my $tmp = "$dir/tmp/$name";
			open my $fh, ">", $tmp or die "$tmp: $!\n";
			print $fh $h, $b or die "$tmp: $!\n";
			close $fh or die "$tmp: $!\n";
			chown $uid, $gid, $tmp or die "chown $tmp: $!\n";
			chmod 0600, $tmp;
			rename $tmp, "$dir/new/$name" or die "rename $tmp: $!\n";
		}
	' "$LAB_MAILDIR" "$n" "$bytes" "$LAB_ID" "${_LAB_MAIL_UID:-65534}" "${_LAB_MAIL_GID:-65534}"
}
