#!/usr/bin/env bash
# The key tables in the code are the single source: etc/roam.conf and
# roam.conf(5) must list exactly their keys, each under its own section.
set -u
top=${ROAM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
keys_tool=${ROAM_BUILD:-$top/build}/tools/roam-keys
[ -x "$keys_tool" ] || { echo "1..0 # SKIP $keys_tool not built (make tests)"; exit 0; }

code=$(mktemp) sample=$(mktemp) manual=$(mktemp)
trap 'rm -f "$code" "$sample" "$manual"' EXIT

"$keys_tool" | awk '{ print $1, $2 }' | sort >"$code"
# etc/roam.conf: "[section]" headers, keys as "key = value" or "#key = default"
awk '/^\[[a-z]+\]/ { sec = substr($1, 2, length($1) - 2); next }
     sec != "" && match($0, /^[#;]?[ \t]*[a-z0-9_]+[ \t]*=/) {
	k = substr($0, 1, RLENGTH - 1); sub(/^[#;]?[ \t]*/, "", k); sub(/[ \t]*$/, "", k)
	print sec, k }' "$top/etc/roam.conf" | sort >"$sample"
# roam.conf(5): under .SH "SECTION [name]", the line after each .TP names a key
awk '/^\.SH/ { sec = ""; if (match($0, /\[[a-z]+\]/)) sec = substr($0, RSTART + 1, RLENGTH - 2); next }
     sec != "" && /^\.TP/ { getline; if ($1 ~ /^\.B/) { k = $2; gsub(/"/, "", k); print sec, k } }' \
	"$top/man/roam.conf.5" | sort >"$manual"

n=0 fail=0
check() {	# check DESC FILE: FILE must equal the code's list
	local missing invented
	n=$((n + 1))
	missing=$(comm -23 "$code" "$2" | tr '\n' ',')
	invented=$(comm -13 "$code" "$2" | tr '\n' ',')
	if [ -z "$missing$invented" ]; then
		echo "ok $n - $1 lists exactly the keys of the code ($(wc -l <"$code") keys)"
	else
		fail=$((fail + 1))
		echo "not ok $n - $1 lists exactly the keys of the code"
		[ -z "$missing" ] || echo "# missing: ${missing%,}"
		[ -z "$invented" ] || echo "# not in the code: ${invented%,}"
	fi
}
echo "1..3"
check "etc/roam.conf" "$sample"
check "man/roam.conf.5" "$manual"
n=$((n + 1))
if groff -man -ww -z "$top/man/roam.conf.5" 2>&1 | grep -q .; then
	fail=$((fail + 1)); echo "not ok $n - roam.conf.5 renders without warnings"
	groff -man -ww -z "$top/man/roam.conf.5" 2>&1 | sed 's/^/# /'
else
	echo "ok $n - roam.conf.5 renders without warnings"
fi
exit $fail
