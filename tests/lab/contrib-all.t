#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every file in contrib/ is run by one of the tests/lab/contrib-*.t: this
# lists which test takes which file (the same globs as the tests use) and
# fails for a file that none of them takes, so that a new hook cannot land
# untested.
set -u
: "${ROAM_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"

declare -A by=()
take() {	# take TEST FILE…
	local t=$1 f
	shift
	for f in "$@"; do [ -z "$f" ] || by[${f##*/}]+="$t "; done
}
# single-file tests take the first match of their globs (cl_file)
take contrib-systemd.t "$(cl_file '*.service')" "$(cl_file '*.sysusers')"
take contrib-procmail.t "$(cl_file procmailrc '*.procmailrc' procmailrc.*)"
take contrib-nm-dispatcher.t "$(cl_file '*nm-dispatcher*' '*dispatcher*' '*NetworkManager*')"
take contrib-ppp.t "$(cl_file '*ppp-ip-up*' '*ip-up*' '*ppp*')"
take contrib-authorized-keys.t "$(cl_file 'authorized_keys*' '*authorized_keys*')"
take contrib-fetch-login.t "$(cl_file '*fetch*.login' '*fetch*profile*' '*.login')"
take redirect-sieve.t "$ROAM_TOP/contrib/roam.sieve"
take redirectd-postmap.t "$ROAM_TOP/contrib/postfix-main.cf"
take redirectd-postfix.t "$ROAM_TOP/contrib/postfix-main.cf"
take contrib-home-router.t "$ROAM_TOP/contrib/roam-home-router.nft"
take redirectd-exim.t "$ROAM_TOP/contrib/exim4-routers.conf"
take redirectd-systemd.t "$ROAM_TOP/contrib/roam-redirectd.service" "$ROAM_TOP/contrib/roam-redirectd.socket"
take fetch-watch.t "$ROAM_TOP/contrib/roam-fetch-watch.user-unit"
# contrib-cron.t takes every *.cron
for f in "$ROAM_TOP"/contrib/*.cron; do [ -f "$f" ] && take contrib-cron.t "$f"; done

n=0 fail=0
for f in "$ROAM_TOP"/contrib/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=${f##*/}
	if [ -n "${by[$name]:-}" ]; then
		echo "ok $n - contrib/$name is run by ${by[$name]% }"
	else
		echo "not ok $n - contrib/$name is run by a contrib-*.t"
		echo "# no test takes it: add it to the globs of a tests/lab/contrib-*.t, or a new test"
		fail=$((fail + 1))
	fi
done
[ "$n" -gt 0 ] || { echo "1..0 # SKIP contrib/ is empty"; exit 0; }
echo "1..$n"
exit "$fail"
