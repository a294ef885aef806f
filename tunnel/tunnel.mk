# tunnel/ — roam-tunnel: plan → diff → apply → verify over rtnetlink
# each link kind is one file (tunnel/link.h) with its kernel half, so the
# unit tests of the pure parts link the kernel side and libnl too
TUNNEL_KINDS := tunnel/link.c tunnel/link_ipip.c tunnel/link_wireguard.c tunnel/wg_genl.c
TUNNEL_CORE := tunnel/keys.c tunnel/plan.c tunnel/cfg.c tunnel/diff.c tunnel/render.c tunnel/state.c \
	tunnel/environ.c $(TUNNEL_KINDS)
# wireguard's keys and peer go over generic netlink
LIBS_NL_GENL := $(call pkg,--libs libnl-genl-3.0)
TUNNEL_KERNEL := tunnel/resolve.c tunnel/nl_read.c tunnel/nl_apply.c tunnel/env.c tunnel/tunnel.c tunnel/register.c \
	tunnel/register_guard.c

PROGRAMS += roam-tunnel
roam-tunnel_SRCS := tunnel/main.c tunnel/cli.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
roam-tunnel_DIR := sbin
# roam-tunnel links dynamically, like the other tools: `remote` may be a host
# name, and only glibc's own name service (nsswitch.conf: files, dns, resolved,
# whatever the machine uses) resolves one the way the user expects; a static
# glibc cannot load the NSS modules of another glibc version safely. It was one
# static-pie before: 0.4 ms less start-up per run natively; in the VM (qemu TCG,
# bench/tunnel, 10 rounds each) gateway ipip up + down took 330 ms static, 361 ms
# dynamic — a price paid once per network change.
roam-tunnel_LIBS := $(LIBS_NL_GENL) $(LIBS_NL) $(LIBS_INIH)
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
