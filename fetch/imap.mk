# IMAP (issue 18 item 2): fetch/imap.c behind mailbox.h, its pure parser pieces in imap_parse.c
roam-fetch_SRCS += fetch/imap.c fetch/imap_conn.c fetch/imap_parse.c
# settings.c picks the protocol from mailbox.c's table, which names both protocols
test_fetch_settings_SRCS += fetch/mailbox.c fetch/pop3.c fetch/pop3_pipe.c fetch/pop3_reply.c \
	fetch/listing.c fetch/dups.c fetch/imap.c fetch/imap_conn.c fetch/imap_parse.c
test_fetch_settings_LIBS += $(LIBS_CURL)
UNIT_TESTS += test_fetch_imap_parse
test_fetch_imap_parse_SRCS := tests/unit/test_fetch_imap_parse.c fetch/imap_parse.c
test_fetch_imap_parse_LIBS := $(LIBS_CMOCKA)
