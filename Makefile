# SPDX-License-Identifier: MIT
# roam — one top-level Makefile. Each folder's *.mk fragment adds its programs
# and tests to the lists below; this file knows how to build, test and install
# whatever they list.
#
#   make                 build every tool (build/)
#   make SANITIZE=1      the same with ASan/UBSan (build/san/)
#   make CC=clang        any C11 compiler
#   make check           deps, unit tests (plain and sanitized), lab and VM tests under prove
#   make demo            the whole story in a lab
#   make bench           every benchmark (figures and ratios, not pass/fail)
#   make fuzz            libFuzzer (clang) on the parsers that face untrusted input
#   make install PREFIX=/usr/local DESTDIR=...   /   make uninstall
#   V=1                  show every command

PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/roam
SYSCONFDIR ?= /etc
SETCAP ?= setcap
VERSION := $(shell cat VERSION)

ifeq ($(SANITIZE),1)
B ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B ?= build
SANFLAGS :=
endif

# pkg-config for every dependency; liboping ships no .pc file on Debian.
# $(call pkg,ARGS) is quiet: on a fresh machine `make check` and `make demo`
# parse this file before scripts/deps has installed anything (they run make
# again afterwards), and a newcomer's first screen must not be a page of
# "Package libcurl was not found". Any other goal says it once, below.
PKGS := libcurl libssh2 libnl-route-3.0 libnl-genl-3.0 inih cmocka
pkg = $(shell { $(PKG_CONFIG) $(1); } 2>/dev/null)
LIBS_CURL := $(call pkg,--libs libcurl)
LIBS_SSH2 := $(call pkg,--libs libssh2)
LIBS_NL := $(call pkg,--libs libnl-route-3.0)
LIBS_INIH := $(call pkg,--libs inih)
LIBS_CMOCKA := $(call pkg,--libs cmocka)
LIBS_OPING := -loping
ifneq ($(filter-out check demo clean,$(or $(MAKECMDGOALS),all)),)
ifneq ($(call pkg,--exists $(PKGS) && echo yes),yes)
$(error build dependencies are missing (pkg-config: $(PKGS)): run scripts/deps as root, or make check or make demo, which do)
endif
endif

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP -Ilib
CFLAGS += $(call pkg,--cflags $(PKGS))
CFLAGS += -DROAM_VERSION='"$(VERSION)"' -DROAM_SYSCONFDIR='"$(SYSCONFDIR)"'
CFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

# Filled by the fragments:
#   PROGRAMS += name        name_SRCS, name_LIBS, name_LDFLAGS, name_DIR (bin|sbin)
#   UNIT_TESTS += name      name_SRCS, name_LIBS (cmocka, TAP)
#   TEST_TOOLS += name      helpers that tests run (build/tools/), never installed
#   KEY_SECTIONS += tool    tool/keys.c defines roam_<tool>_keys (config key table)
#   SETCAP_PROGRAMS += name installed with cap_net_raw when installed as root
#   MAN_PAGES += man/x.N
LIB_SRCS :=
PROGRAMS :=
UNIT_TESTS :=
TEST_TOOLS :=
KEY_SECTIONS :=
SETCAP_PROGRAMS :=
MAN_PAGES := $(wildcard man/*.[158])

.DEFAULT_GOAL := all

include lib/lib.mk
include $(sort $(wildcard tunnel/*.mk probe/*.mk redirect/*.mk fetch/*.mk))
include tests/tests.mk
-include $(sort $(wildcard bench/*.mk))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
LIBROAM := $(B)/libroam.a

all: $(addprefix $(B)/,$(PROGRAMS))
tests: $(addprefix $(B)/tests/,$(UNIT_TESTS)) $(addprefix $(B)/tools/,$(TEST_TOOLS))

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBROAM): $(call obj,$(LIB_SRCS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# one link rule per program and per unit test; libroam.a comes last
define link
$(2)/$(1): $$(call obj,$$($(1)_SRCS)) $$(LIBROAM)
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(LDFLAGS) $$($(1)_LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call link,$(p),$(B))))
$(foreach t,$(UNIT_TESTS),$(eval $(call link,$(t),$(B)/tests)))
$(foreach t,$(TEST_TOOLS),$(eval $(call link,$(t),$(B)/tools)))

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- tests ---------------------------------------------------------------
# prove runs compiled tests and TAP shell scripts alike (--exec '' runs each
# file itself); lab tests find the build through ROAM_BUILD.
TEST_FILES ?= $(wildcard tests/unit/*.t) $(wildcard tests/lab/*.t) $(wildcard tests/vm/*.t)
PROVE ?= prove
export ROAM_BUILD := $(abspath $(B))
export ROAM_TOP := $(abspath .)
export CMOCKA_MESSAGE_OUTPUT := TAP
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1

check:
	@scripts/deps
	$(Q)$(MAKE) B=$(B) all tests
	$(Q)$(MAKE) SANITIZE=1 B=$(B)/san all tests
	$(PROVE) --exec '' $(PROVE_FLAGS) $(addprefix $(B)/tests/,$(UNIT_TESTS)) \
		$(addprefix $(B)/san/tests/,$(UNIT_TESTS)) $(TEST_FILES)

# one test file or a few, against the plain build: make prove T=tests/lab/x.t
prove: all tests
	$(PROVE) --exec '' -v $(T)

demo:
	@scripts/deps
	$(Q)$(MAKE) B=$(B) all
	$(Q)V=$(V) ROAM_DEMO_ENCAP=$(ENCAP) scripts/demo

# every bench/*.mk adds a bench-<tool> target; this runs them all, in one go
bench: $(sort $(patsubst bench/%.mk,bench-%,$(wildcard bench/*.mk)))

# ---- install ---------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] [BINDIR= SBINDIR= MANDIR= DOCDIR= SYSCONFDIR=]
# Programs go to BINDIR or SBINDIR after their NAME_DIR; an existing
# $(SYSCONFDIR)/roam.conf is never overwritten; contrib/ goes to $(DOCDIR)/contrib
# (scripts keep their execute bit). SETCAP_PROGRAMS get cap_net_raw+ep when
# installing as root (never setuid); SETCAP= (empty) skips that, as debian/rules
# does (its postinst sets the capability on the target machine).
INSTALL_PROGRAMS = $(filter-out $(NOINST_PROGRAMS),$(PROGRAMS))
progdir = $(if $(filter sbin,$($(1)_DIR)),$(SBINDIR),$(BINDIR))
CONTRIB_FILES = $(sort $(foreach f,$(wildcard contrib/*),$(if $(wildcard $(f)/.),,$(f))))

install: all
	@set -e; $(foreach p,$(INSTALL_PROGRAMS), \
		install -v -d "$(DESTDIR)$(call progdir,$(p))"; \
		install -v -m 0755 $(B)/$(p) "$(DESTDIR)$(call progdir,$(p))/$(p)";) :
	@set -e; for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -v -d "$(DESTDIR)$(MANDIR)/man$$s"; \
		install -v -m 0644 $$m "$(DESTDIR)$(MANDIR)/man$$s/"; \
	done
	@install -v -d "$(DESTDIR)$(SYSCONFDIR)"
	@if [ -e "$(DESTDIR)$(SYSCONFDIR)/roam.conf" ]; then \
		echo "keeping existing $(DESTDIR)$(SYSCONFDIR)/roam.conf"; \
	else install -v -m 0644 etc/roam.conf "$(DESTDIR)$(SYSCONFDIR)/roam.conf"; fi
	@set -e; [ -z "$(CONTRIB_FILES)" ] || install -v -d "$(DESTDIR)$(DOCDIR)/contrib"; \
	for f in $(CONTRIB_FILES); do \
		if [ -x "$$f" ]; then mode=0755; else mode=0644; fi; \
		install -v -m $$mode "$$f" "$(DESTDIR)$(DOCDIR)/contrib/"; \
	done
	@for f in $(foreach p,$(filter $(INSTALL_PROGRAMS),$(SETCAP_PROGRAMS)),"$(DESTDIR)$(call progdir,$(p))/$(p)"); do \
		if [ -z "$(SETCAP)" ]; then echo "SETCAP is empty: $$f installed without cap_net_raw"; \
		elif [ "$$(id -u)" != 0 ]; then echo "not root: $$f installed without cap_net_raw"; \
		elif $(SETCAP) cap_net_raw+ep "$$f"; then echo "cap_net_raw+ep set on $$f"; \
		else echo "warning: setcap failed; $$f falls back to unprivileged probes"; fi; \
	done

# removes exactly what install puts in place; directories only when empty and
# roam's own ($(DOCDIR)); the configuration only when it is the untouched sample
uninstall:
	@$(foreach p,$(INSTALL_PROGRAMS),rm -vf "$(DESTDIR)$(call progdir,$(p))/$(p)";) :
	@for m in $(MAN_PAGES); do s=$${m##*.}; rm -vf "$(DESTDIR)$(MANDIR)/man$$s/$${m##*/}"; done
	@for f in $(CONTRIB_FILES); do rm -vf "$(DESTDIR)$(DOCDIR)/contrib/$${f##*/}"; done
	@for d in "$(DESTDIR)$(DOCDIR)/contrib" "$(DESTDIR)$(DOCDIR)"; do \
		[ ! -d "$$d" ] || rmdir -v --ignore-fail-on-non-empty "$$d"; done
	@if cmp -s etc/roam.conf "$(DESTDIR)$(SYSCONFDIR)/roam.conf"; then \
		rm -vf "$(DESTDIR)$(SYSCONFDIR)/roam.conf"; \
	elif [ -e "$(DESTDIR)$(SYSCONFDIR)/roam.conf" ]; then \
		echo "keeping modified $(DESTDIR)$(SYSCONFDIR)/roam.conf"; fi

clean:
	rm -rf build

.PHONY: all tests check prove demo bench install uninstall clean
.DELETE_ON_ERROR:
