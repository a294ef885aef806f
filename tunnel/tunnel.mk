# tunnel/ — roam-tunnel: plan → diff → apply → verify over rtnetlink
TUNNEL_CORE := tunnel/keys.c tunnel/plan.c tunnel/cfg.c tunnel/diff.c tunnel/render.c tunnel/state.c
TUNNEL_KERNEL := tunnel/nl_read.c tunnel/nl_apply.c tunnel/env.c tunnel/tunnel.c tunnel/register.c

PROGRAMS += roam-tunnel
roam-tunnel_SRCS := tunnel/main.c tunnel/cli.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
roam-tunnel_LIBS := $(LIBS_NL) $(LIBS_INIH)
roam-tunnel_DIR := sbin
KEY_SECTIONS += tunnel

# pure parts, no kernel: plan, diff, rendering, state file, registration checks
UNIT_TESTS += test_tunnel test_tunnel_cfg
test_tunnel_SRCS := tests/unit/test_tunnel.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
test_tunnel_LIBS := $(LIBS_CMOCKA) $(LIBS_NL) $(LIBS_INIH)
test_tunnel_cfg_SRCS := tests/unit/test_tunnel_cfg.c $(TUNNEL_CORE)
test_tunnel_cfg_LIBS := $(LIBS_CMOCKA) $(LIBS_INIH)

# lab tests on a kernel without ipip: everything but the link, which a veth stands in for
TEST_TOOLS += roam-tunnel-lab
roam-tunnel-lab_SRCS := tests/tunnel-lab-tool.c tunnel/cli.c $(TUNNEL_CORE) $(TUNNEL_KERNEL)
roam-tunnel-lab_LIBS := $(LIBS_NL) $(LIBS_INIH)
