# redirect/ — roam-redirect, procmail's forward target. It starts once per
# message, so it links only libroam.a and inih: no libcurl, libssh2, liboping
# or libnl (the probe engine's icmp method lives outside libroam).
PROGRAMS += roam-redirect
REDIRECT_CORE := redirect/keys.c redirect/settings.c redirect/target.c redirect/header.c \
	redirect/input.c redirect/decide.c redirect/emit.c
roam-redirect_SRCS := redirect/main.c $(REDIRECT_CORE)
roam-redirect_LIBS := $(LIBS_INIH)
# Start-up is its cost per message, and most of it is the dynamic loader: a
# static binary starts in about 0.9 × the time of /bin/true, a dynamic one in
# about 1.3 × (bench/redirect). Sanitizer builds cannot be static, and
# valgrind sees heap errors only in a dynamic one: REDIRECT_STATIC=0.
REDIRECT_STATIC ?= $(if $(filter 1,$(SANITIZE)),0,1)
ifeq ($(REDIRECT_STATIC),1)
roam-redirect_LIBS += -static
endif
roam-redirect_DIR := bin
KEY_SECTIONS += redirect

UNIT_TESTS += test_redirect_target test_redirect_header test_redirect_decide test_redirect_settings
test_redirect_target_SRCS := tests/unit/test_redirect_target.c redirect/target.c
test_redirect_target_LIBS := $(LIBS_CMOCKA)
test_redirect_header_SRCS := tests/unit/test_redirect_header.c redirect/header.c redirect/input.c
test_redirect_header_LIBS := $(LIBS_CMOCKA)
test_redirect_decide_SRCS := tests/unit/test_redirect_decide.c redirect/decide.c
test_redirect_decide_LIBS := $(LIBS_CMOCKA)
test_redirect_settings_SRCS := tests/unit/test_redirect_settings.c redirect/settings.c \
	redirect/keys.c redirect/target.c
test_redirect_settings_LIBS := $(LIBS_INIH) $(LIBS_CMOCKA)
