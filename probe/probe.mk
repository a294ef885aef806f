# probe/ — roam-probe, and the unit tests of the probing engine it shares with
# roam-redirect (lib/probe*.c, lib/probestate.c)
PROBE_CORE := probe/cli.c probe/settings.c probe/targets.c probe/hyst.c probe/statedir.c \
	probe/output.c probe/keys.c redirect/keys.c redirect/recipients.c redirect/target.c

PROGRAMS += roam-probe
roam-probe_SRCS := probe/main.c probe/icmp.c probe/privs.c $(PROBE_CORE)
roam-probe_LIBS := $(LIBS_OPING) $(LIBS_INIH)
roam-probe_DIR := sbin
KEY_SECTIONS += probe
SETCAP_PROGRAMS += roam-probe

UNIT_TESTS += test_probe test_probestate test_probe_cli
test_probe_SRCS := tests/unit/test_probe.c
test_probe_LIBS := $(LIBS_CMOCKA)
test_probestate_SRCS := tests/unit/test_probestate.c
test_probestate_LIBS := $(LIBS_CMOCKA)
test_probe_cli_SRCS := tests/unit/test_probe_cli.c $(PROBE_CORE)
test_probe_cli_LIBS := $(LIBS_INIH) $(LIBS_CMOCKA)

TEST_TOOLS += probe-statetool
probe-statetool_SRCS := tests/probe-statetool.c
