#!/usr/bin/env bash
# State files: the directory's modes and refusals, no temporary files, and a
# writer rewriting one file in a loop while readers check 10 000 reads each.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 20

tool=$ROAM_BUILD/tools/probe-statetool
ok "two namespaces on one link" pl_setup

# a missing directory is created, world-readable whatever the umask
out=$(umask 077; pl_probe -q -m icmp --state-dir "$LAB_TMP/new" "$PL_LAPTOP"); rc=$?
is "$rc/$(stat -c %a "$LAB_TMP/new")" "0/755" "a missing state dir is created 0755 (umask 077)"
is "$(stat -c %a "$LAB_TMP/new/$PL_LAPTOP")" 644 "the state file is 0644 (umask 077)"

# a symbolic link is refused, and nothing is written where it points
mkdir "$LAB_TMP/elsewhere"
ln -s "$LAB_TMP/elsewhere" "$LAB_TMP/link"
err=$(pl_probe -m icmp --state-dir "$LAB_TMP/link" "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "a state dir that is a symlink: exit 4"
like "$err" "symbolic link" "and a one-line error that says why"
is "$(ls -A "$LAB_TMP/elsewhere" | wc -l)" 0 "nothing written through the link"

# missing parent, a file instead of a directory, an unwritable directory
err=$(pl_probe -m icmp --state-dir "$LAB_TMP/no/such/dir" "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "a state dir whose parent is missing: exit 4"
: >"$LAB_TMP/plainfile"
err=$(pl_probe -m icmp --state-dir "$LAB_TMP/plainfile" "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "a state dir that is a file: exit 4"
mkdir -m 0755 "$LAB_TMP/rootonly"
pl_ping_groups "$PL_P" "0 2147483647"
err=$(pl_as_nobody -m dgram --state-dir "$LAB_TMP/rootonly" "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc" 4 "a state dir nobody may write to: exit 4"
like "$err" "cannot write to state dir" "the error names the problem"
is "$(ls -A "$LAB_TMP/rootonly" | wc -l)" 0 "and leaves nothing behind"

# a state dir someone else made, or anyone can write, is refused (named):
# alive/away in it decides where mail goes
mkdir -m 0755 "$LAB_TMP/squat" && chown nobody "$LAB_TMP/squat"
err=$(pl_probe -m icmp --state-dir "$LAB_TMP/squat" "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc $err" "4 roam-probe: $LAB_TMP/squat: owned by uid $(id -u nobody), neither root nor you; refusing it" \
	"a state dir another user pre-created: exit 4, named"
mkdir -m 0777 "$LAB_TMP/shared"
err=$(pl_probe -m icmp --state-dir "$LAB_TMP/shared" "$PL_LAPTOP" 2>&1 >/dev/null); rc=$?
is "$rc $err" "4 roam-probe: $LAB_TMP/shared: writable by others (mode 0777); refusing it" \
	"a state dir anyone can write: exit 4, named"
is "$(find "$LAB_TMP/squat" "$LAB_TMP/shared" -mindepth 1 | wc -l)" 0 "nothing written into either"

# a malformed state file is replaced by a good one
mkdir -p "$PL_STATE" && printf 'v1 alive 1 2 3 icmp\ngarbage' >"$PL_STATE/$PL_LAPTOP"
pl_probe -q -m icmp --state-dir "$PL_STATE" "$PL_LAPTOP"
like "$(cat "$PL_STATE/$PL_LAPTOP")" "^v1 alive [0-9]+ [0-9]+ [0-9]+ icmp$" "a malformed state file is rewritten"

# torn reads: one writer in a loop, four readers with 10 000 reads each
mkdir "$LAB_TMP/race"
"$tool" write "$LAB_TMP/race" "$PL_LAPTOP" &
writer=$!
for ((i = 0; i < 200; i++)); do [ -s "$LAB_TMP/race/$PL_LAPTOP" ] && break; sleep 0.01; done
for r in 1 2 3 4; do "$tool" read "$LAB_TMP/race" "$PL_LAPTOP" 10000 >"$LAB_TMP/reader.$r" & done
rfail=0
for pid in $(jobs -p); do
	[ "$pid" = "$writer" ] && continue
	wait "$pid" || rfail=$((rfail + 1))
done
kill -TERM "$writer"; wait "$writer"; wrc=$?
is "$rfail" 0 "4 readers × 10 000 reads: every read a complete, valid line"
is "$(cat "$LAB_TMP"/reader.* | grep -c '^ok=10000 bad=0 ')" 4 "each reader counted 10 000 good reads"
total=$(awk -F'distinct=' '{ s += $2 } END { print s }' "$LAB_TMP"/reader.*)
diag "the readers saw $total changes of the file while reading"
like "$total" '^[1-9][0-9]*$' "the file really changed under the readers"
is "$wrc" 0 "the writer stopped cleanly"
is "$(find "$LAB_TMP/race" "$PL_STATE" -name '.*' -type f | wc -l)" 0 "no temporary files left"

done_testing
