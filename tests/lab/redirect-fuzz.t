#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# roam-redirect against garbage, with a fixed seed: random bytes, header-like
# junk, huge, empty and closed stdin; garbage, truncated and oversized state
# files; garbage and half-valid configs, command lines and $LOGNAME values.
# Whatever comes in, it must print exactly one safe line and exit 0. Runs in a
# namespace with only lo, so an own probe sends nothing anywhere.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/redirect-lib.sh"
lab_require_root
command -v perl >/dev/null || { echo "1..0 # SKIP no perl"; exit 0; }
lab_init
plan 5

CASES=${ROAM_FUZZ_CASES:-2000}
SEED=${ROAM_FUZZ_SEED:-20261125}
ns=$(lab_ns fuzz)
C=$LAB_TMP/cases
mkdir -p "$C"

# case I: I.in (stdin; absent: closed), I.state (absent: missing; a directory:
# unreadable), I.conf (absent: no such file), I.args (one per line), I.env
# (LOGNAME, or absent: unset)
perl - "$C" "$CASES" "$SEED" <<'PERL'
use strict; use warnings;
my ($dir, $n, $seed) = @ARGV;
srand($seed);
my $target = "198.51.100.180";
sub pick { $_[int(rand(@_))] }
sub bytes { my $l = shift; join '', map { chr(int(rand(256))) } 1 .. $l }
sub put { my ($f, $t) = @_; open(my $h, '>', $f) or die "$f: $!"; print $h $t; close $h }
sub junk_word { pick('', 'a b', '-oi', 'x;id', '`id`', "\$(id)", 'user@', '@x', "a\tb", 'a"b',
	"\x{1}", 'é@x', 'u@h', 'postmaster', 'x' x 300, 'a|b', '*', '-', 'root@localhost', bytes(8)) }
my @fields = ('Subject: hi', 'X-Loop: roam@example.net', 'X-Loop: other', 'From: a@lists.example.net',
	'From: "N" <b@example.org>', 'From x@y  Wed Nov 25', ' folded', "\tfolded", 'Received: x',
	'no colon here', ':', 'From:', 'X-Loop:', '', "\r", 'To: u@example.net');
sub header_junk {
	my $t = '';
	for (1 .. int(rand(40))) {
		$t .= pick(@fields, bytes(int(rand(30))));
		$t .= pick("\n", "\r\n", "\n", "\n ", '');
	}
	return $t . pick("\n\n", "\r\n\r\n", '', "\n") . bytes(int(rand(200)));
}
sub state_text {
	my $now = time;
	my $k = int(rand(10));
	return "v1 alive " . ($now - 5) . " $now 10 dgram\n" if $k == 0;
	return "v1 dead " . ($now - 5) . " $now 0 tcp:25\n" if $k == 1;
	return "v1 alive 1 2 3 icmp\n" if $k == 2;		# stale
	return "v1 alive " . ($now + 999) . " " . ($now + 999) . " 1 none\n" if $k == 3;
	return '' if $k == 4;
	return 'x' x 4096 if $k == 5;
	my $s = "v1 alive 1 $now 3 dgram\n";
	substr($s, int(rand(length $s)), 1) = chr(int(rand(256))) if $k == 6;
	return $s if $k == 6;
	return bytes(int(rand(128)));
}
my @keys = qw(target alive away max_age deadline method state_dir loop_header skip_from max_size);
sub conf_text {
	my ($i) = @_;
	my $k = int(rand(6));
	return bytes(int(rand(300))) if $k == 0;
	my $t = rand() < 0.9 ? "[redirect]\n" : pick("[probe]\n", "[bogus]\n", "", "[redirect\n");
	for my $key (@keys) {
		next if rand() < 0.3;
		my $v;
		my $good = rand() < 0.95;
		if ($key eq 'target') { $v = $good ? $target : pick('198.51.100', 'laptop', junk_word()) }
		elsif ($key eq 'alive') { $v = $good ? 'user@laptop.example.net' : junk_word() }
		elsif ($key eq 'away') { $v = $good ? 'away@mail.example.net' : junk_word() }
		elsif ($key eq 'max_age') { $v = $good ? pick(1, 120) : pick(0, -1, 'x', 86401) }
		elsif ($key eq 'deadline') { $v = $good ? pick(1, 5, 20) : pick(0, 'soon', 60001) }
		elsif ($key eq 'method') { $v = $good ? pick('auto', 'dgram', 'tcp', 'tcp:25') : pick('tcp:0', 'icmp', 'x') }
		elsif ($key eq 'state_dir') { $v = $good ? "$dir/state.$i" : pick('/nonexistent', '') }
		elsif ($key eq 'loop_header') { $v = $good ? pick('X-Loop: roam@example.net', 'X-Loop:') : pick('nocolon', junk_word()) }
		elsif ($key eq 'skip_from') { $v = $good ? pick('*@lists.example.net', '[', '*') : junk_word() }
		else { $v = $good ? pick(0, 10, 100000) : pick(-5, 'big') }
		$t .= (rand() < 0.99 ? pick($key, uc $key) : "$key$key") . pick(' = ', '=') . $v . "\n";
	}
	return $t;
}
for my $i (1 .. $n) {
	my $k = int(rand(20));
	if ($k == 0) { }						# closed stdin
	elsif ($k == 1) { put("$dir/$i.in", '') }
	elsif ($k == 2 && $i % 50 == 0) { put("$dir/$i.in", header_junk() . ('y' x 4_000_000)) }
	elsif ($k < 8) { put("$dir/$i.in", bytes(int(rand(5000)))) }
	else { put("$dir/$i.in", header_junk()) }
	my $s = int(rand(8));
	if ($s == 0) { }						# missing
	elsif ($s == 1) { mkdir "$dir/state.$i"; mkdir "$dir/state.$i/$target" }
	else { mkdir "$dir/state.$i"; put("$dir/state.$i/$target", state_text()) }
	put("$dir/$i.conf", conf_text($i)) if rand() < 0.9;
	# own probes go nowhere here: keep their deadline short
	my @args = ('-c', "$dir/$i.conf", '--deadline', pick(1, 5, 20));
	push @args, pick('--away', '--alive', '--deadline', '--max-age', '--target', '--bogus', '-v')
		, junk_word() for 1 .. (rand() < 0.2 ? 1 + int(rand(3)) : 0);
	put("$dir/$i.args", join('', map { "$_\n" } grep { !/\n/ } @args));
	put("$dir/$i.env", pick('alice', 'bob', '-x', 'a b', ';', '', junk_word())) if rand() < 0.8;
}
PERL
ok "$CASES cases generated (seed $SEED)" test -e "$C/$CASES.args"

# run every case; one line per case: I RC BYTES LINES FIRST-LINE
run_cases() {
	local i args env rc raw lf
	export LC_ALL=C
	for ((i = 1; i <= CASES; i++)); do
		mapfile -t args <"$C/$i.args"
		env=(-u LOGNAME)
		[ -e "$C/$i.env" ] && env=("LOGNAME=$(cat "$C/$i.env")")
		if [ -e "$C/$i.in" ]; then
			env "${env[@]}" "$ROAM_BUILD/roam-redirect" "${args[@]}" <"$C/$i.in" >"$C/out" 2>/dev/null
		else
			env "${env[@]}" "$ROAM_BUILD/roam-redirect" "${args[@]}" <&- >"$C/out" 2>/dev/null
		fi
		rc=$?
		IFS= read -r -d '' raw <"$C/out"
		lf=${raw//[^$'\n']/}
		echo "$i $rc ${#raw} ${#lf} ${raw%%$'\n'*}"
	done
}
export -f run_cases
export C CASES
ip netns exec "$ns" bash -c run_cases >"$LAB_TMP/results"
[ -n "${ROAM_FUZZ_KEEP:-}" ] && cp -r "$C" "$ROAM_FUZZ_KEEP"

is "$(wc -l <"$LAB_TMP/results")" "$CASES" "every case ran"
is "$(awk '$2 != 0' "$LAB_TMP/results" | head -n5)" "" "exit status 0 in every case"
is "$(awk '$4 != 1 || $3 != length($5) + 1' "$LAB_TMP/results" | head -n5)" "" \
	"exactly one line on stdout in every case"
is "$(awk '{ print $5 }' "$LAB_TMP/results" | grep -Ev "$RL_SAFE" | head -n5)" "" \
	"every line is one safe target"
note "targets printed: $(awk '{ print $5 }' "$LAB_TMP/results" | sort | uniq -c | sort -rn |
	head -n8 | awk '{ printf "%s×%s ", $2, $1 }')"
done_testing
