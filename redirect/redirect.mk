# redirect/ — roam-redirect, procmail's forward target. It starts once per
# message, so it links only libroam.a and inih: no libcurl, libssh2, liboping
# or libnl (the probe engine's icmp method lives outside libroam).
PROGRAMS += roam-redirect
REDIRECT_CORE := redirect/keys.c redirect/settings.c redirect/target.c redirect/header.c \
	redirect/input.c redirect/decide.c redirect/emit.c redirect/recipients.c
roam-redirect_SRCS := redirect/main.c $(REDIRECT_CORE)
roam-redirect_LIBS := $(LIBS_INIH)
# Start-up is its cost per message, and most of it is the dynamic loader.
# libc stays shared (security updates reach it, NSS works); libinih, tiny, is
# linked in, so the loader maps nothing that /bin/true does not: bench/redirect
# measured about 1.1-1.2 × /bin/true this way (a fully static glibc binary
# was 0.9 ×, at the price of both).
roam-redirect_LIBS := -Wl,-Bstatic $(LIBS_INIH) -Wl,-Bdynamic
roam-redirect_DIR := bin
KEY_SECTIONS += redirect

# roam-redirectd: the same decision core behind Postfix's socketmap protocol
PROGRAMS += roam-redirectd
REDIRECTD_CORE := redirect/netstring.c redirect/socketmap.c redirect/recipients.c \
	redirect/target.c redirect/decide.c redirect/statecache.c
roam-redirectd_SRCS := redirect/redirectd.c redirect/redirectd_loop.c redirect/redirectd_listen.c \
	redirect/redirectd_activate.c \
	redirect/keys.c $(REDIRECTD_CORE)
roam-redirectd_LIBS := $(LIBS_INIH)
roam-redirectd_DIR := sbin

UNIT_TESTS += test_redirect_target test_redirect_header test_redirect_decide test_redirect_settings \
	test_redirect_recipients
test_redirect_recipients_SRCS := tests/unit/test_redirect_recipients.c tests/unit/testdir.c \
	redirect/recipients.c redirect/target.c
test_redirect_recipients_LIBS := $(LIBS_CMOCKA)
UNIT_TESTS += test_redirect_socketmap
test_redirect_socketmap_SRCS := tests/unit/test_redirect_socketmap.c tests/unit/testdir.c \
	$(REDIRECTD_CORE)
test_redirect_socketmap_LIBS := $(LIBS_CMOCKA)
TEST_TOOLS += redirectd-client
redirectd-client_SRCS := tests/redirectd-client.c redirect/netstring.c
test_redirect_target_SRCS := tests/unit/test_redirect_target.c redirect/target.c
test_redirect_target_LIBS := $(LIBS_CMOCKA)
test_redirect_header_SRCS := tests/unit/test_redirect_header.c redirect/header.c redirect/input.c
test_redirect_header_LIBS := $(LIBS_CMOCKA)
test_redirect_decide_SRCS := tests/unit/test_redirect_decide.c redirect/decide.c
test_redirect_decide_LIBS := $(LIBS_CMOCKA)
test_redirect_settings_SRCS := tests/unit/test_redirect_settings.c redirect/settings.c \
	redirect/keys.c redirect/target.c
test_redirect_settings_LIBS := $(LIBS_INIH) $(LIBS_CMOCKA)

# make fuzz: libFuzzer (clang) on the header scanner, the target check and
# the state file parser, FUZZ_TIME seconds each (corpus in $(B)/fuzz/).
FUZZ_CC ?= clang
FUZZ_TIME ?= 30
FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -Ilib -Iredirect -fsanitize=fuzzer,address,undefined
FUZZERS := $(B)/fuzz/fuzz_redirect_header $(B)/fuzz/fuzz_redirect_state \
	$(B)/fuzz/fuzz_redirect_netstring

$(B)/fuzz/fuzz_redirect_header: redirect/fuzz_header.c redirect/header.c redirect/target.c lib/error.c
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^
$(B)/fuzz/fuzz_redirect_state: redirect/fuzz_state.c lib/probestate.c lib/probe.c lib/probe_dgram.c \
		lib/probe_tcp.c lib/statefile.c lib/fdio.c lib/error.c
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^

$(B)/fuzz/fuzz_redirect_netstring: redirect/fuzz_netstring.c redirect/netstring.c
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $^

fuzz: $(FUZZERS)
	$(Q)for f in $(FUZZERS); do mkdir -p $$f.corpus && \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=0 $$f.corpus || exit 1; done

.PHONY: fuzz
