# tests/ — unit tests of lib/ and the key-table dump that the docs test reads

UNIT_TESTS += test_config test_addr test_statefile test_log test_trust
test_config_SRCS := tests/unit/test_config.c tests/unit/testdir.c
test_config_LIBS := $(LIBS_INIH) $(LIBS_CMOCKA)
test_addr_SRCS := tests/unit/test_addr.c
test_addr_LIBS := $(LIBS_CMOCKA)
test_statefile_SRCS := tests/unit/test_statefile.c tests/unit/testdir.c
test_statefile_LIBS := $(LIBS_CMOCKA)
test_log_SRCS := tests/unit/test_log.c
test_log_LIBS := $(LIBS_CMOCKA)
test_trust_SRCS := tests/unit/test_trust.c tests/unit/testdir.c
test_trust_LIBS := $(LIBS_CMOCKA)

# roam-keys prints every key of every tool's table (KEY_SECTIONS), so that
# tests/unit/config-docs.t can hold etc/roam.conf and roam.conf(5) to them.
TEST_TOOLS += roam-keys
roam-keys_SRCS := tests/keys-dump.c $(B)/gen/sections.c $(foreach s,$(KEY_SECTIONS),$(s)/keys.c)
roam-keys_LIBS := $(LIBS_INIH)

$(B)/gen/sections.c: $(MAKEFILE_LIST)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ echo '#include "config.h"'; \
	  for s in $(KEY_SECTIONS); do echo "extern const struct roam_section roam_$${s}_keys;"; done; \
	  printf 'const struct roam_section *const roam_all_sections[] = {'; \
	  for s in $(KEY_SECTIONS); do printf ' &roam_%s_keys,' $$s; done; \
	  echo ' NULL };'; } >$@
