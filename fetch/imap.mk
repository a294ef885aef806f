# IMAP engine of issue 18 item 2 (not wired into roam-fetch yet)
UNIT_TESTS += test_fetch_imap_parse
test_fetch_imap_parse_SRCS := tests/unit/test_fetch_imap_parse.c fetch/imap_parse.c
test_fetch_imap_parse_LIBS := $(LIBS_CMOCKA)
