#!/usr/bin/env bash
# 20 % random loss on the laptop's side (nftables numgen) with k = 3: a live
# host may be reported dead in at most 5 of 100 passes (expected: 0.8).
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/probe-lib.sh"
lab_require_root
lab_init
plan 6

ok "two namespaces on one link" pl_setup
pl_ping_groups "$PL_P" "0 2147483647"
port=$(lab_free_port)
ok "the laptop drops 20 % of what arrives from the mail server" \
	pl_nft "$PL_T" ip saddr "$PL_MAIL" numgen random mod 5 0 drop

# the drop works: with k = 1 some passes must fail (P(no failure in 100) = 2e-10)
single=0
for ((i = 0; i < 100; i++)); do
	pl_probe -q -n -m icmp -k 1 -t 200 "$PL_LAPTOP" || single=$((single + 1))
done
diag "k = 1: $single of 100 passes reported the live host dead"
like "$single" '^([1-9][0-9]*)$' "with k = 1 the loss shows (sanity check of the rule)"

for m in icmp dgram "tcp:$port"; do
	dead=0
	for ((i = 0; i < 100; i++)); do
		pl_probe -q -n -m "$m" -k 3 -t 600 "$PL_LAPTOP" || dead=$((dead + 1))
	done
	diag "k = 3, $m: $dead of 100 passes reported the live host dead"
	ok "k = 3, $m: dead in at most 5 of 100 passes (got $dead)" test "$dead" -le 5
done

done_testing
