# bench/redirect — roam-redirect against the seed's ping | awk (figures, not tests)
TEST_TOOLS += redirect-spawn
redirect-spawn_SRCS := bench/redirect-spawn.c

bench-redirect: all tests
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/redirect

.PHONY: bench-redirect
