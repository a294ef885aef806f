# probe/ — roam-probe, and the unit tests of the probing engine it shares with
# roam-redirect (lib/probe*.c, lib/probestate.c)
UNIT_TESTS += test_probe test_probestate
test_probe_SRCS := tests/unit/test_probe.c
test_probe_LIBS := $(LIBS_CMOCKA)
test_probestate_SRCS := tests/unit/test_probestate.c
test_probestate_LIBS := $(LIBS_CMOCKA)
