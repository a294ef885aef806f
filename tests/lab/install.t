#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make install / make uninstall into a DESTDIR, as root: the tree (paths,
# modes), cap_net_raw on roam-probe (getcap) and no setuid bit anywhere, the
# installed programs run, an existing roam.conf survives a second install,
# uninstall leaves nothing but an edited roam.conf. PREFIX=/usr as the Debian
# package uses it, and SETCAP= (no capability).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
lab_require_root
command -v getcap >/dev/null || { echo "1..0 # SKIP no getcap (libcap2-bin)"; exit 0; }
lab_init

# the contract of issue 9: where each tool goes
SBIN_TOOLS="roam-tunnel roam-probe roam-redirectd"
BIN_TOOLS="roam-redirect roam-fetch"
version=$(cat "$ROAM_TOP/VERSION")

# inst DESTDIR [VAR=VALUE…]: make install of this build as it is (-o all: the
# binaries under test, no rebuild); output in $LAB_TMP/make.log
inst() {
	local d=$1; shift
	make -C "$ROAM_TOP" B="$ROAM_BUILD" DESTDIR="$d" -o all "$@" install >"$LAB_TMP/make.log" 2>&1 ||
		{ tail -n 20 "$LAB_TMP/make.log" >&2; return 1; }
}
uninst() {
	local d=$1; shift
	make -C "$ROAM_TOP" B="$ROAM_BUILD" DESTDIR="$d" "$@" uninstall >"$LAB_TMP/make.log" 2>&1 ||
		{ tail -n 20 "$LAB_TMP/make.log" >&2; return 1; }
}
# files D: every file and symlink below D, relative, sorted
files() { (cd "$1" && find . \( -type f -o -type l \) -printf '%P\n' | LC_ALL=C sort); }
# modes D: "MODE PATH" for every file below D
modes() { (cd "$1" && find . -type f -printf '%m %P\n' | LC_ALL=C sort); }

# the expected tree for PREFIX=$1, from the contract and the source tree
expected() {
	local p=${1#/} t m f
	{
		for t in $SBIN_TOOLS; do echo "755 $p/sbin/$t"; done
		for t in $BIN_TOOLS; do echo "755 $p/bin/$t"; done
		for m in "$ROAM_TOP"/man/*.[158]; do
			[ -e "$m" ] && echo "644 $p/share/man/man${m##*.}/${m##*/}"
		done
		echo "644 etc/roam.conf"
		for f in "$ROAM_TOP"/contrib/*; do
			[ -f "$f" ] || continue
			if [ -x "$f" ]; then echo "755 $p/share/doc/roam/contrib/${f##*/}"
			else echo "644 $p/share/doc/roam/contrib/${f##*/}"; fi
		done
	} | LC_ALL=C sort -k2
}

plan 26

# ---- PREFIX=/usr/local (the default) -------------------------------------------
D=$LAB_TMP/dest
ok "make install DESTDIR=… (default PREFIX)" inst "$D"
is "$(modes "$D" | LC_ALL=C sort -k2)" "$(expected /usr/local)" \
	"tree: binaries (sbin/bin), man pages, /etc/roam.conf, contrib in share/doc, with their modes"
is "$(find "$D" -perm /6000 -printf '%P\n')" "" "no setuid or setgid bit anywhere"
is "$(getcap "$D/usr/local/sbin/roam-probe" | awk '{ print $2 }')" "cap_net_raw=ep" \
	"roam-probe has cap_net_raw=ep"
is "$(getcap -r "$D" | grep -v '/roam-probe ')" "" "no other file has a capability"
like "$(cat "$LAB_TMP/make.log")" "cap_net_raw\\+ep set on" "make install says so"
cmp -s "$ROAM_TOP/etc/roam.conf" "$D/etc/roam.conf"
is "$?" 0 "/etc/roam.conf is the sample etc/roam.conf"
runs=
for t in $SBIN_TOOLS; do runs+="$("$D/usr/local/sbin/$t" --version 2>&1) "; done
for t in $BIN_TOOLS; do runs+="$("$D/usr/local/bin/$t" --version 2>&1) "; done
is "$runs" "roam-tunnel $version roam-probe $version roam-redirectd $version roam-redirect $version roam-fetch $version " \
	"each installed program runs and reports VERSION"
# the capability works: an unprivileged user sends ICMP through a raw socket
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	ok "as nobody, the installed roam-probe pings 127.0.0.1 over raw ICMP (the capability)" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$D/usr/local/sbin/roam-probe" -c /dev/null -n -q -m icmp -k 1 -t 2000 127.0.0.1
else
	skip "the capability works for an unprivileged user" "no setpriv or no user nobody"
fi

# ---- a second install over an edited configuration ---------------------------
echo "# edited by the admin" >>"$D/etc/roam.conf"
edited=$(cat "$D/etc/roam.conf")
ok "make install again" inst "$D"
is "$(cat "$D/etc/roam.conf")" "$edited" "the edited roam.conf is kept"
like "$(cat "$LAB_TMP/make.log")" "keeping existing .*/etc/roam.conf" "  and make install says so"

# ---- uninstall ----------------------------------------------------------------
ok "make uninstall" uninst "$D"
is "$(files "$D")" "etc/roam.conf" "uninstall leaves only the edited roam.conf"
is "$(cat "$D/etc/roam.conf")" "$edited" "  unchanged"
is "$(find "$D" -path '*/share/doc/roam*')" "" "the doc directory roam/ is gone"
rm -f "$D/etc/roam.conf"
inst "$D" && uninst "$D"
is "$(files "$D")" "" "install + uninstall with the untouched sample: no file left"

# ---- PREFIX=/usr as debian/rules uses it, and SETCAP= --------------------------
D2=$LAB_TMP/dest-usr
ok "make install PREFIX=/usr SETCAP=" inst "$D2" PREFIX=/usr SETCAP=
is "$(modes "$D2" | LC_ALL=C sort -k2)" "$(expected /usr)" "PREFIX=/usr: the same tree below /usr"
is "$(getcap -r "$D2")" "" "SETCAP= : no capability set"
like "$(cat "$LAB_TMP/make.log")" "SETCAP is empty: .*roam-probe installed without cap_net_raw" \
	"  and make install says so"
uninst "$D2" PREFIX=/usr
is "$(files "$D2")" "" "make uninstall PREFIX=/usr: no file left"

# ---- as an unprivileged user: no capability, a message, status 0 -------------
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	D3=$LAB_TMP/dest-user
	mkdir "$D3" && chown nobody:nogroup "$D3"
	asuser() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" >"$LAB_TMP/make.log" 2>&1; }
	ok "make install as nobody" asuser make -C "$ROAM_TOP" B="$ROAM_BUILD" DESTDIR="$D3" -o all install
	like "$(cat "$LAB_TMP/make.log")" "not root: .*roam-probe installed without cap_net_raw" \
		"  roam-probe without cap_net_raw, and make install says so"
	is "$(getcap -r "$D3")$(find "$D3" -perm /6000)" "" "  no capability, no setuid bit"
	asuser make -C "$ROAM_TOP" B="$ROAM_BUILD" DESTDIR="$D3" -o all uninstall
	is "$(files "$D3")" "" "  make uninstall as nobody: no file left"
else
	for i in 1 2 3 4; do skip "make install as an unprivileged user" "no setpriv or no user nobody"; done
fi
done_testing
