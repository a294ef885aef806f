# fetch/ — roam-fetch: ssh transport, POP3 by libcurl, CLI, --forward.
# Delivery, the UIDL record and the lock come from fetch/fetch-store.mk.
FETCH_CORE := fetch/ssh.c fetch/hostkey.c fetch/pump.c fetch/transport.c fetch/pop3.c fetch/pop3_pipe.c fetch/pop3_reply.c fetch/listing.c \
	fetch/mailbox.c fetch/run.c fetch/dups.c fetch/secret.c fetch/settings.c fetch/forward.c fetch/forward_listen.c fetch/peer.c fetch/keys.c


PROGRAMS += roam-fetch
roam-fetch_SRCS := fetch/main.c $(FETCH_CORE) $(FETCH_STORE_SRCS)
roam-fetch_LIBS := $(LIBS_SSH2) $(LIBS_CURL) $(LIBS_INIH) -lpthread
roam-fetch_DIR := bin
KEY_SECTIONS += fetch

UNIT_TESTS += test_fetch_hostkey test_fetch_secret test_fetch_settings
test_fetch_hostkey_SRCS := tests/unit/test_fetch_hostkey.c tests/unit/testdir.c fetch/hostkey.c
test_fetch_hostkey_LIBS := $(LIBS_CMOCKA) $(LIBS_SSH2)
test_fetch_secret_SRCS := tests/unit/test_fetch_secret.c tests/unit/testdir.c fetch/secret.c
test_fetch_secret_LIBS := $(LIBS_CMOCKA)
test_fetch_settings_SRCS := tests/unit/test_fetch_settings.c tests/unit/testdir.c fetch/settings.c fetch/forward.c fetch/forward_listen.c fetch/peer.c \
	fetch/keys.c fetch/ssh.c fetch/hostkey.c fetch/pump.c
test_fetch_settings_LIBS := $(LIBS_CMOCKA) $(LIBS_INIH) $(LIBS_SSH2)
UNIT_TESTS += test_fetch_listing
test_fetch_listing_SRCS := tests/unit/test_fetch_listing.c fetch/listing.c fetch/dups.c
test_fetch_listing_LIBS := $(LIBS_CMOCKA)
UNIT_TESTS += test_fetch_reply
test_fetch_reply_SRCS := tests/unit/test_fetch_reply.c fetch/pop3_reply.c
test_fetch_reply_LIBS := $(LIBS_CMOCKA)

# the transport behind the pump: a libssh2 session, or ssh_command's process (stream.h)
roam-fetch_SRCS += fetch/command.c fetch/dialer.c fetch/stream_ssh2.c fetch/stream_cmd.c
test_fetch_settings_SRCS += fetch/command.c fetch/dialer.c fetch/stream_ssh2.c fetch/stream_cmd.c
UNIT_TESTS += test_fetch_command
test_fetch_command_SRCS := tests/unit/test_fetch_command.c fetch/command.c
test_fetch_command_LIBS := $(LIBS_CMOCKA)
