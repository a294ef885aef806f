# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# tests/lab/contrib-lib.sh — run contrib/ files the way their host runs them,
# on the paths they name, without touching this machine's /usr/local or /etc.
# Sourced by tests/lab/contrib-*.t after tests/lab/lib.sh and lab_init.
#
#   cl_file GLOB…             prints the first contrib/ file matching one of the
#                             globs (relative to contrib/), or nothing
#   cl_skip_all FILE-DESC     "1..0 # SKIP contrib/FILE-DESC does not exist yet"
#   cl_install                make install DESTDIR=$CL_ROOT (PREFIX=/usr/local) of this
#                             build as it is (-o all: no rebuild), once; so /usr/local/sbin/roam-probe etc. exist
#                             below $CL_ROOT
#   cl_conf TEXT              $CL_CONF (the file /etc/roam.conf shows inside cl_host)
#                             gets TEXT
#   cl_host [--ns NS] CMD…    runs CMD in a private mount namespace (inside network
#                             namespace NS when given) where /usr/local is
#                             $CL_ROOT/usr/local and /etc is this machine's /etc
#                             with roam.conf added (an overlay; it points at
#                             $CL_CONF). Nothing outside that namespace changes.
#                             Each "SRC:DST" of the array CL_BINDS is bind-mounted
#                             there too (a recorder over /usr/sbin/sendmail, …).
#   cl_host_cmd [--ns NS] CMD…
#                             the same command line in the array CL_CMD, to start in
#                             the background as a simple command ("${CL_CMD[@]}" &: $!
#                             is then CMD itself, every step execs)
#   cl_wait_reachable NS ADDR  polls until ADDR answers a ping from NS (a fresh
#                             veth drops packets for a moment)
#   cl_stub NAME [VAR…]       an executable $CL_STUBS/NAME that appends one line per
#                             call to $CL_STUBS/NAME.log: its arguments, then each VAR
#                             of its environment as " VAR=value" (unset: " VAR-");
#                             exits with the number in $CL_STUBS/NAME.exit (else 0)

CL_ROOT= CL_CONF= CL_STUBS=
CL_BINDS=()

cl_file() {
	local g f
	for g in "$@"; do
		for f in "$ROAM_TOP"/contrib/$g; do
			[ -f "$f" ] && { echo "$f"; return 0; }
		done
	done
	return 0
}

cl_skip_all() { echo "1..0 # SKIP contrib/$1 does not exist yet"; exit 0; }

cl_install() {
	[ -z "$CL_ROOT" ] || return 0
	CL_ROOT=$LAB_TMP/root
	make -C "$ROAM_TOP" B="$ROAM_BUILD" DESTDIR="$CL_ROOT" -o all install >"$LAB_TMP/install.log" 2>&1 ||
		{ tail -n 20 "$LAB_TMP/install.log" >&2; CL_ROOT=; return 1; }
	# the private /etc: an overlay whose upper layer holds only roam.conf, a
	# symbolic link to $CL_CONF so that a test can change it from outside
	mkdir -p "$LAB_TMP/etc/upper" "$LAB_TMP/etc/work"
	CL_CONF=$LAB_TMP/roam.conf
	rm -f "$CL_ROOT/etc/roam.conf"
	: >"$CL_CONF"
	ln -s "$CL_CONF" "$LAB_TMP/etc/upper/roam.conf"
	chmod 0755 "$LAB_TMP/etc" "$LAB_TMP/etc/upper"
}

cl_conf() { printf '%s\n' "$1" >"$CL_CONF"; }

cl_host_cmd() {
	local ns=
	if [ "${1:-}" = --ns ]; then ns=$2; shift 2; fi
	[ -n "$CL_ROOT" ] || { echo "cl_host: cl_install first" >&2; return 1; }
	# shellcheck disable=SC2016  # expanded by the inner sh
	local setup='
		root=$0 etc=$1; shift
		mount --make-rprivate / &&
		mount --bind "$root/usr/local" /usr/local &&
		mount -t overlay roam-etc -o "lowerdir=/etc,upperdir=$etc/upper,workdir=$etc/work" /etc ||
			{ echo "cl_host: cannot set up the private /usr/local and /etc" >&2; exit 125; }
		IFS="
"
		for b in $_CL_BINDS; do
			mount --bind "${b%%:*}" "${b#*:}" || { echo "cl_host: cannot bind $b" >&2; exit 125; }
		done
		unset IFS _CL_BINDS
		exec "$@"'
	local binds
	binds=$(printf '%s\n' "${CL_BINDS[@]}")
	CL_CMD=(env _CL_BINDS="$binds" unshare -m sh -c "$setup" "$CL_ROOT" "$LAB_TMP/etc" "$@")
	[ -z "$ns" ] || CL_CMD=(ip netns exec "$ns" "${CL_CMD[@]}")
}

cl_host() { cl_host_cmd "$@" && "${CL_CMD[@]}"; }

cl_stub() {
	local name=$1
	shift
	[ -n "$CL_STUBS" ] || { CL_STUBS=$LAB_TMP/stubs; mkdir -p "$CL_STUBS"; chmod 0755 "$CL_STUBS"; }
	cat >"$CL_STUBS/$name" <<-EOF
	#!/bin/bash
	# stub $name for a roam contrib test: records its call, changes nothing
	{
		printf '%s' "\$*"
		for v in $*; do
			if [ -n "\${!v+x}" ]; then printf ' %s=%s' "\$v" "\${!v}"; else printf ' %s-' "\$v"; fi
		done
		echo
	} >>"$CL_STUBS/$name.log"
	exit \$(cat "$CL_STUBS/$name.exit" 2>/dev/null || echo 0)
	EOF
	chmod 0755 "$CL_STUBS/$name"
	: >"$CL_STUBS/$name.log"
	chmod 0666 "$CL_STUBS/$name.log"
}

# cl_wait_reachable NS ADDR: poll (ping, up to ~10 s) until ADDR answers from NS.
# A fresh veth drops packets until the kernel's link watch has activated it
# (up to a second), which a one-shot probe would take for "dead".
cl_wait_reachable() {
	local i
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$1" ping -nq -c 1 -W 0.2 "$2" >/dev/null 2>&1 && return 0
	done
	echo "cl_wait_reachable: $2 does not answer in $1" >&2
	return 1
}
