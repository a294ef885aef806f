#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A newcomer's first screen (issue 14, item 13): on a fresh machine `make check`
# and `make demo` parse the Makefile before scripts/deps has installed
# anything. That parse must print nothing; any other goal says once what is
# missing and what to run. A fresh machine is simulated twice: pkg-config that
# finds no package, and no pkg-config at all.
set -u
top=${ROAM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
n=0 fail=0
ok() {	# ok RESULT DESC [DIAG]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"
	else echo "not ok $n - $2"; fail=$((fail + 1)); [ -z "${3:-}" ] || sed 's/^/# /' <<<"$3"; fi
}
echo "1..6"
for fresh in "PKG_CONFIG_LIBDIR=/nonexistent" "PKG_CONFIG=/nonexistent/pkg-config"; do
	# -n: print the recipes; MAKE=true: do not recurse into the second parse,
	# which runs after scripts/deps
	out=$(cd "$top" && env $fresh make -n MAKE=true check 2>&1)
	[ "$(head -1 <<<"$out")" = "scripts/deps" ] && ! grep -qiE "not found|no package|error" <<<"$out"
	ok $? "$fresh: make check starts with scripts/deps, not a screen of errors" "$out"
	out=$(cd "$top" && env $fresh make -n MAKE=true demo 2>&1)
	[ "$(head -1 <<<"$out")" = "scripts/deps" ] && ! grep -qiE "not found|no package|error" <<<"$out"
	ok $? "$fresh: make demo too" "$out"
	out=$(cd "$top" && env $fresh make -n all 2>&1)
	[ "$(grep -c . <<<"$out")" = 1 ] && grep -q "build dependencies are missing.*run scripts/deps" <<<"$out"
	ok $? "$fresh: make all says in one line what is missing and what to run" "$out"
done
exit $((fail > 0))
