#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every man page renders without a warning (groff -man -ww -z, and man -l with
# --warnings), every tool answers --help and --version with status 0, every
# option that --help lists (long and short) appears in the tool's man page,
# which lives in the right section (sbin: 8, bin: 1) and has EXIT STATUS and
# SEE ALSO; every roam page that a SEE ALSO names exists. The config keys are
# held to roam.conf(5) by config-docs.t.
set -u
top=${ROAM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${ROAM_BUILD:-$top/build}
command -v groff >/dev/null || { echo "1..0 # SKIP no groff"; exit 0; }

# the contract of issue 9: the tools and their man sections
declare -A SECTION=([roam-tunnel]=8 [roam-probe]=8 [roam-redirect]=1 [roam-fetch]=1 [roam-redirectd]=8)
TOOLS="roam-tunnel roam-probe roam-redirect roam-fetch roam-redirectd"
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 fail=0
ok() {	# ok RESULT DESC [DIAG]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"
	else echo "not ok $n - $2"; fail=$((fail + 1)); [ -z "${3:-}" ] || sed 's/^/# /' <<<"$3"; fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # skip $2"; }

# ---- every page renders clean ---------------------------------------------------
for m in "$top"/man/*.[158]; do
	[ -e "$m" ] || continue
	out=$(groff -man -ww -z "$m" 2>&1)
	ok "$([ -z "$out" ]; echo $?)" "${m##*/}: groff -man -ww -z says nothing" "$out"
	if command -v man >/dev/null; then
		out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
		ok "$([ -z "$out" ]; echo $?)" "${m##*/}: man --warnings -l says nothing" "$out"
	fi
	# every roam page a SEE ALSO (or anything) names with .BR exists
	refs=$(sed 's/\\-/-/g' "$m" | grep -oE '^\.BR? (roam[a-z.-]*) \(?([158])\)?' | awk '{ gsub(/[()]/, "", $3); print $2 "." $3 }' | sort -u)
	missing=
	for r in $refs; do [ -e "$top/man/$r" ] || missing+="$r "; done
	if [ -z "$missing" ]; then
		ok 0 "${m##*/}: the roam pages it names exist"
	else
		skip "${m##*/}: the roam pages it names exist" "not written yet: $missing"
	fi
done

# ---- the tools ----------------------------------------------------------------------
for t in $TOOLS; do
	bin=$build/$t
	if [ ! -x "$bin" ]; then
		skip "$t --help, --version, man page" "$bin not built"
		continue
	fi
	"$bin" --help >"$tmp/help" 2>"$tmp/help.err"; rc=$?
	ok "$([ "$rc" = 0 ] && [ -s "$tmp/help" ]; echo $?)" "$t --help: status 0, text on stdout" \
		"status $rc; stderr: $(head -c 300 "$tmp/help.err")"
	out=$("$bin" --version 2>&1); rc=$?
	ok "$([ "$rc" = 0 ] && [[ $out == *"$t $version"* ]]; echo $?)" "$t --version: status 0, says '$t $version'" \
		"status $rc; output: $out"
	# the options --help lists: every --long and -s word of an option line
	opts=$(grep -E '^[[:space:]]+-' "$tmp/help" | grep -oE '(^|[[:space:],[])--?[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^[[:space:],[]*//' | sort -u)
	[ -n "$opts" ] || opts=$(grep -oE -- '--[a-z][a-z0-9-]+' "$tmp/help" | sort -u)
	man=$top/man/$t.${SECTION[$t]}
	if [ ! -e "$man" ]; then
		other=$(ls "$top"/man/"$t".[158] 2>/dev/null)
		if [ -n "$other" ]; then
			ok 1 "$t: man page in section ${SECTION[$t]}" "found $other instead"
		else
			skip "$t: man page $t.${SECTION[$t]} documents every option of --help" "man/$t.${SECTION[$t]} not written yet"
		fi
		continue
	fi
	ok 0 "$t: man page in section ${SECTION[$t]}"
	# the page as text: groff's hyphens and fonts are gone
	groff -man -Tascii -P-c -P-b -P-u "$man" 2>/dev/null >"$tmp/page"
	missing=
	for o in $opts; do
		grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "$tmp/page" || missing+="$o "
	done
	ok "$([ -z "$missing" ]; echo $?)" "$t: its man page documents every option of --help ($(wc -w <<<"$opts"))" \
		"not in $t.${SECTION[$t]}: $missing"
	# the commands --help lists under "Commands:" (roam-tunnel up, down, …)
	cmds=$(awk '/^[A-Za-z ]*[Cc]ommands:/ { c = 1; next } c && /^[[:space:]]+[a-z]/ { print $1; next } c { c = 0 }' "$tmp/help")
	if [ -n "$cmds" ]; then
		missing=
		for c in $cmds; do grep -qE "(^|[^A-Za-z0-9-])$c([^A-Za-z0-9-]|$)" "$tmp/page" || missing+="$c "; done
		ok "$([ -z "$missing" ]; echo $?)" "$t: its man page documents every command of --help ($(echo $cmds))" \
			"not in $t.${SECTION[$t]}: $missing"
	fi
	for s in "EXIT STATUS" "SEE ALSO"; do
		grep -qE "^\\.SH \"?$s\"?\$" "$man"
		ok "$?" "$t: man page has $s"
	done
done
echo "1..$n"
exit $((fail > 254 ? 254 : fail))
