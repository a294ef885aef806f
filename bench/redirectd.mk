# bench/redirectd — roam-redirectd's lookups against procmail + roam-redirect
# (figures, not tests)
TEST_TOOLS += redirectd-load
redirectd-load_SRCS := bench/redirectd-load.c redirect/netstring.c

bench-redirectd: all tests
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/redirectd

.PHONY: bench-redirectd
