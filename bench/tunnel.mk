# bench/tunnel — roam-tunnel up + down against the seed's ip commands, per role, in one VM boot
bench-tunnel: all
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/tunnel.sh $(abspath $(B))

.PHONY: bench-tunnel
