# tunnel/ — roam-tunnel: plan → diff → apply → verify over rtnetlink
# each link kind is one file (tunnel/link.h) with its kernel half, so the
# unit tests of the pure parts link the kernel side and libnl too
TUNNEL_KINDS := tunnel/link.c tunnel/link_ipip.c tunnel/link_wireguard.c tunnel/wg_genl.c
TUNNEL_CORE := tunnel/keys.c tunnel/plan.c tunnel/cfg.c tunnel/diff.c tunnel/render.c tunnel/state.c \
	tunnel/environ.c $(TUNNEL_KINDS)
# wireguard's keys and peer go over generic netlink
LIBS_NL_GENL := $(call pkg,--libs libnl-genl-3.0)
TUNNEL_KERNEL := tunnel/nl_read.c tunnel/nl_apply.c tunnel/env.c tunnel/tunnel.c tunnel/register.c \
	tunnel/register_guard.c

PROGRAMS += roam-tunnel
roam-tunnel_SRCS := tunnel/main.c tunnel/cli.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
roam-tunnel_DIR := sbin
# roam-tunnel is linked as one static-pie: glibc, libnl and libinih inside, the
# address space still randomised (Debian's own ldconfig is built the same way).
# It runs once per network change, from hooks and cron, and most of such a
# short run is start-up: the dynamic loader mapping four libraries and binding
# libnl's calls one by one. Static, `status` takes 0.8 ms instead of 1.2 ms
# natively, and about half the time in the VM (bench/tunnel). The price: a libnl
# or glibc security fix needs a rebuild (debian/control's Built-Using names the
# sources). No name service gets linked in: see tunnel/static_nss.c. ASan needs
# the dynamic runtime, so SANITIZE=1 links dynamically, as TUNNEL_LINK=dynamic does.
TUNNEL_LINK ?= static-pie
ifeq ($(SANITIZE),1)
TUNNEL_LINK := dynamic
endif
ifeq ($(TUNNEL_LINK),static-pie)
roam-tunnel_SRCS += tunnel/static_nss.c
roam-tunnel_LDFLAGS := -static-pie \
	-Wl,--wrap=getaddrinfo,--wrap=getnameinfo,--wrap=getprotobyname,--wrap=getprotobynumber
roam-tunnel_LIBS := $(call pkg,--static --libs libnl-route-3.0 libnl-genl-3.0 inih)
else ifeq ($(TUNNEL_LINK),dynamic)
roam-tunnel_LIBS := $(LIBS_NL_GENL) $(LIBS_NL) $(LIBS_INIH)
else
$(error TUNNEL_LINK=$(TUNNEL_LINK): static-pie or dynamic)
endif
KEY_SECTIONS += tunnel

# pure parts, no kernel: plan, diff, rendering, state file, registration checks
UNIT_TESTS += test_tunnel test_tunnel_cfg
test_tunnel_SRCS := tests/unit/test_tunnel.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
test_tunnel_LIBS := $(LIBS_CMOCKA) $(LIBS_NL_GENL) $(LIBS_NL) $(LIBS_INIH)
test_tunnel_cfg_SRCS := tests/unit/test_tunnel_cfg.c tests/unit/testdir.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
test_tunnel_cfg_LIBS := $(LIBS_CMOCKA) $(LIBS_NL_GENL) $(LIBS_NL) $(LIBS_INIH)

# lab tests on a kernel without ipip: everything but the link, which a veth stands in for
TEST_TOOLS += roam-tunnel-lab
roam-tunnel-lab_SRCS := tests/tunnel-lab-tool.c tunnel/cli.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
roam-tunnel-lab_LIBS := $(LIBS_NL_GENL) $(LIBS_NL) $(LIBS_INIH)
