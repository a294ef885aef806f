# bench/probe — roam-probe against fping and the seed's ping loop (figures, not tests)
bench-probe: all
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/probe

.PHONY: bench-probe
