# bench/fetch — roam-fetch against fetchmail (preconnect ssh -L, plugin ssh -W), side by side
bench-fetch: all
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/fetch

.PHONY: bench-fetch
