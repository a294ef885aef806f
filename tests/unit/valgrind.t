#!/usr/bin/env bash
# Every unit test binary once more under valgrind's memcheck: invalid reads and
# writes, uses of uninitialised values and definite leaks fail it. (ASan/UBSan
# run the same binaries from the sanitized build; valgrind sees the plain
# build, as users run it, and catches what ASan does not, such as uninitialised
# reads.)
set -u
top=${ROAM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=${ROAM_BUILD:-$top/build}/tests
command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind is not installed"; exit 0; }
shopt -s nullglob
tests=("$dir"/test_*)
[ ${#tests[@]} -gt 0 ] || { echo "1..0 # SKIP no unit tests built in $dir"; exit 0; }

echo "1..${#tests[@]}"
n=0 fail=0 log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "${tests[@]}"; do
	n=$((n + 1))
	if CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite "$t" >"$log" 2>&1; then
		echo "ok $n - ${t##*/} is clean under valgrind"
	else
		fail=$((fail + 1))
		echo "not ok $n - ${t##*/} is clean under valgrind"
		grep -E '^==[0-9]+==|^not ok' "$log" | head -20 | sed 's/^/# /'
	fi
done
exit $fail
