#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package, end to end on this machine: dpkg-buildpackage -us -uc -b
# on a copy of the working tree (the tree itself stays clean), lintian (no
# errors; warnings shown), apt-get install ./roam_*.deb, the tools run,
# roam-probe has cap_net_raw from postinst (an unprivileged user pings over
# raw ICMP), the unit verifies, then dpkg -r (conffile stays) and dpkg -P
# (nothing left). The EXIT trap purges the package whatever happens.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
command -v dpkg-buildpackage >/dev/null || { echo "1..0 # SKIP no dpkg-buildpackage (dpkg-dev)"; exit 0; }
lab_require_root
lab_init

version=$(cat "$ROAM_TOP/VERSION")
SBIN_TOOLS="roam-tunnel roam-probe roam-redirectd"
BIN_TOOLS="roam-redirect roam-fetch"
unit=$(cd "$ROAM_TOP" && ls contrib/*.service 2>/dev/null | head -n1)
unit=${unit##*/}

# ---- what the machine must look like before we install anything -------------
# never touch a roam that someone installed for real, or their /etc/roam.conf
pre=
if dpkg-query -W -f='${db:Status-Abbrev}' roam 2>/dev/null | grep -q '^[a-z]i'; then
	pre="the roam package is already installed here"
elif [ -e /etc/roam.conf ]; then
	pre="/etc/roam.conf exists here (not ours)"
else
	for t in $SBIN_TOOLS; do [ ! -e "/usr/sbin/$t" ] || pre="/usr/sbin/$t exists here"; done
	for t in $BIN_TOOLS; do [ ! -e "/usr/bin/$t" ] || pre="/usr/bin/$t exists here"; done
fi
[ -e /var/lib/roam ] && state_was_there=1 || state_was_there=
# the package creates roam-probe.service's user (sysusers.d); Debian keeps
# system users after a purge, so the test removes the one it caused
getent passwd roam >/dev/null && user_was_there=1 || user_was_there=

installed=
deb_cleanup() {
	if [ -n "$installed" ]; then
		dpkg -P roam >/dev/null 2>&1 || diag "cleanup: dpkg -P roam failed"
		[ -n "$state_was_there" ] || rm -rf /var/lib/roam
		installed=
	fi
	# after the test's own purge too: dpkg -P leaves system users in place
	[ -n "$user_was_there" ] || ! getent passwd roam >/dev/null ||
		userdel roam 2>/dev/null || diag "cleanup: userdel roam failed"
	lab_cleanup
}
trap deb_cleanup EXIT
trap 'deb_cleanup; trap - EXIT; exit 130' INT
trap 'deb_cleanup; trap - EXIT; exit 143' TERM

plan 29

is "$(cd "$ROAM_TOP" && dpkg-parsechangelog -S Version)" "$version" \
	"debian/changelog's version is VERSION"

# ---- build --------------------------------------------------------------------
W=$LAB_TMP/deb
mkdir -p "$W/roam-$version"
tar -C "$ROAM_TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$W/roam-$version" -xf -
# unit tests run in make check already; parallel as the machine allows
build() {
	cd "$W/roam-$version" &&
	DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b >"$W/build.log" 2>&1
	local rc=$?
	cd - >/dev/null
	[ "$rc" = 0 ] || tail -n 30 "$W/build.log"
	return "$rc"
}
if ! ok "dpkg-buildpackage -us -uc -b (out of tree)" build; then
	done_testing
fi
deb=$(ls "$W"/roam_"$version"_*.deb)
changes=$(ls "$W"/roam_"$version"_*.changes)
like "$(grep -c -- '-D_FORTIFY_SOURCE=2' "$W/build.log")" '^[1-9]' "the hardening flags reach the compiler"

# ---- the package's content ----------------------------------------------------
contents=$(dpkg-deb -c "$deb" | awk '{ print $1, $6 }')
want=
for t in $SBIN_TOOLS; do want+="-rwxr-xr-x ./usr/sbin/$t"$'\n'; done
for t in $BIN_TOOLS; do want+="-rwxr-xr-x ./usr/bin/$t"$'\n'; done
is "$(grep -E ' \./usr/s?bin/.' <<<"$contents" | LC_ALL=C sort)" "$(LC_ALL=C sort <<<"${want%$'\n'}")" \
	"the five programs, in sbin and bin, mode 0755"
wantman=$(cd "$ROAM_TOP" && for m in man/*.[158]; do [ -e "$m" ] && echo "./usr/share/man/man${m##*.}/${m##*/}.gz"; done | LC_ALL=C sort)
is "$(grep -o ' \./usr/share/man/.*\.gz$' <<<"$contents" | cut -c2- | LC_ALL=C sort)" "$wantman" \
	"every man page of man/ (gzipped)"
wantdoc=$(cd "$ROAM_TOP" && for f in contrib/*; do [ -f "$f" ] && echo "./usr/share/doc/roam/contrib/${f##*/}"; done | LC_ALL=C sort)
is "$(grep -o ' \./usr/share/doc/roam/contrib/..*' <<<"$contents" | cut -c2- | LC_ALL=C sort)" "$wantdoc" \
	"every contrib file in /usr/share/doc/roam/contrib"
mkdir "$W/x" && dpkg-deb -x "$deb" "$W/x"
is "$(grep -rl /usr/local "$W/x/usr/share/doc/roam/contrib" "$W/x/lib/systemd" 2>/dev/null)" "" \
	"the hooks and the unit name the package's paths (/usr, not /usr/local)"
is "$(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')" \
	"Package: roam Version: $version Architecture: $(dpkg --print-architecture) " "control fields"
# roam-tunnel links its libraries dynamically (tunnel/tunnel.mk), so the package depends on them
like "$(dpkg-deb -f "$deb" Depends)" 'libnl-genl-3-200' "Depends names libnl-genl-3 (shlibs of roam-tunnel)"
is "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" "/etc/roam.conf" \
	"/etc/roam.conf is the one conffile"
is "$(awk '$1 ~ /^-..[sS]|^-.....[sS]/' <<<"$contents")" "" "no setuid or setgid file in the package"
if [ -n "$unit" ]; then
	units=$(cd "$ROAM_TOP/contrib" && ls ./*.service ./*.socket 2>/dev/null | sed 's|^\./|./lib/systemd/system/|' | LC_ALL=C sort)
	is "$(grep -o ' \./lib/systemd/system/roam.*' <<<"$contents" | cut -c2- | LC_ALL=C sort)" "$units" \
		"every contrib unit (${unit} and the others, .service and .socket) is in /lib/systemd/system"
else
	skip "the systemd unit is in /lib/systemd/system" "no contrib/*.service yet"
fi

# ---- lintian --------------------------------------------------------------------
if command -v lintian >/dev/null; then
	lintian --fail-on error "$changes" >"$W/lintian.log" 2>&1
	rc=$?
	is "$(grep '^E:' "$W/lintian.log")" "" "lintian: no errors"
	is "$rc" 0 "lintian --fail-on error exits 0"
	tags=$(grep -E '^[WI]:' "$W/lintian.log" | awk '{ print $1, $3 }' | sort | uniq -c)
	[ -z "$tags" ] || diag "lintian (not errors):"$'\n'"$tags"
else
	skip "lintian: no errors" "no lintian"
	skip "lintian --fail-on error exits 0" "no lintian"
fi

# ---- install on this machine ------------------------------------------------------
if [ -n "$pre" ]; then
	for i in $(seq 15); do skip "install, run, remove, purge" "$pre"; done
	done_testing
fi
# one package install at a time on this machine (dpkg's own lock fails, not waits)
exec 9>/run/lock/roam-deb-test.lock
flock -w 600 9 || { diag "another deb.t holds /run/lock/roam-deb-test.lock"; }
installed=1
ok "apt-get install ./$(basename "$deb")" \
	env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o DPkg::Lock::Timeout=120 "$deb"
is "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' roam 2>&1)" "ii $version" "dpkg says installed"
runs=
for t in $SBIN_TOOLS; do runs+="$("/usr/sbin/$t" --version 2>&1) "; done
for t in $BIN_TOOLS; do runs+="$("/usr/bin/$t" --version 2>&1) "; done
is "$runs" "roam-tunnel $version roam-probe $version roam-redirectd $version roam-redirect $version roam-fetch $version " \
	"the installed tools run"
is "$(getcap /usr/sbin/roam-probe | awk '{ print $2 }')" "cap_net_raw=ep" "postinst gave roam-probe cap_net_raw"
ok "as nobody, the installed roam-probe pings 127.0.0.1 over raw ICMP" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	/usr/sbin/roam-probe -n -q -m icmp -k 1 -t 2000 127.0.0.1
if [ -n "$unit" ]; then
	ok "systemd-analyze verify the installed $unit" systemd-analyze verify "/lib/systemd/system/$unit"
	is "$(ls /etc/systemd/system/*.wants/"$unit" 2>/dev/null)" "" "$unit is not enabled (mail server only)"
	u=$(sed -n 's/^User=//p' "/lib/systemd/system/$unit")
	like "$(getent passwd "${u:-root}" | cut -d: -f1,7)" "^${u:-none}:/usr/sbin/nologin\$" \
		"postinst created the unit's user ${u:-(none named)} (sysusers.d), without a login shell"
else
	skip "the unit's user exists" "no contrib/*.service yet"
	skip "systemd-analyze verify the installed unit" "no contrib/*.service yet"
	skip "the unit is not enabled" "no contrib/*.service yet"
fi
# the programs the shipped hooks and unit name, by absolute path, are installed
named=$(grep -ohE '/usr/s?bin/roam-[a-z]+' /usr/share/doc/roam/contrib/* /lib/systemd/system/roam-* 2>/dev/null | sort -u)
missing=$(for p in $named; do [ -x "$p" ] || echo "$p"; done)
like "$(wc -w <<<"$named"):$missing" '^[1-9][0-9]*:$' \
	"every program the hooks and the unit name ($(echo $named)) is installed there"
# roam-probe's state directory, so that purge has something to remove
if [ -z "$state_was_there" ]; then
	/usr/sbin/roam-probe -q -k 1 -t 2000 127.0.0.1
	like "$(ls /var/lib/roam 2>&1)" '127\.0\.0\.1' "roam-probe writes its state in /var/lib/roam"
else
	skip "roam-probe writes its state in /var/lib/roam" "/var/lib/roam existed before the test"
fi
files=$(dpkg -L roam | while read -r f; do [ -d "$f" ] || echo "$f"; done)

# ---- remove, purge ------------------------------------------------------------------
ok "dpkg -r roam" dpkg -r roam
left=$(for f in $files; do [ ! -e "$f" ] || echo "$f"; done)
is "$left" "/etc/roam.conf" "after dpkg -r only the conffile /etc/roam.conf is left"
ok "dpkg -P roam" dpkg -P roam
installed=
left=$(for f in $files; do [ ! -e "$f" ] || echo "$f"; done)
is "$left" "" "after dpkg -P no file of the package is left"
if [ -z "$state_was_there" ]; then
	is "$(ls -d /var/lib/roam 2>/dev/null)" "" "purge removed /var/lib/roam"
	rm -rf /var/lib/roam
else
	skip "purge removed /var/lib/roam" "/var/lib/roam existed before the test"
fi
done_testing
