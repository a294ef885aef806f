# fetch/ — roam-fetch's local side: delivery (Maildir, mbox, MDA), the
# delivered-UIDL record and the account lock. fetch/fetch.mk links
# $(FETCH_STORE_SRCS) into roam-fetch.
FETCH_DELIVER_SRCS := fetch/deliver.c fetch/deliver_filter.c fetch/deliver_maildir.c \
	fetch/deliver_mbox.c fetch/deliver_journal.c fetch/deliver_recover.c fetch/deliver_mda.c \
	fetch/deliver_seen.c
FETCH_STORE_SRCS := $(FETCH_DELIVER_SRCS) fetch/uidl.c fetch/lock.c

UNIT_TESTS += test_fetch_deliver test_fetch_mbox test_fetch_uidl test_fetch_lock
test_fetch_deliver_SRCS := tests/unit/test_fetch_deliver.c tests/unit/testdir.c $(FETCH_DELIVER_SRCS) \
	fetch/lock.c
test_fetch_deliver_LIBS := $(LIBS_CMOCKA)
test_fetch_mbox_SRCS := tests/unit/test_fetch_mbox.c tests/unit/testdir.c $(FETCH_DELIVER_SRCS) fetch/lock.c
test_fetch_mbox_LIBS := $(LIBS_CMOCKA)
test_fetch_uidl_SRCS := tests/unit/test_fetch_uidl.c tests/unit/testdir.c fetch/uidl.c fetch/lock.c
test_fetch_uidl_LIBS := $(LIBS_CMOCKA)
test_fetch_lock_SRCS := tests/unit/test_fetch_lock.c tests/unit/testdir.c fetch/lock.c
test_fetch_lock_LIBS := $(LIBS_CMOCKA)
