# bench/fetch-rtt — roam-fetch, mpop, fetchmail at 0/10/40 ms RTT (netem), in one VM boot
bench-fetch-rtt: all
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/fetch-rtt.sh $(abspath $(B))

.PHONY: bench-fetch-rtt
