# bench/fetch-imap — roam-fetch's IMAP beside its POP3, mbsync and getmail6, side by side
bench-fetch-imap: all
	$(Q)ROAM_BUILD=$(abspath $(B)) ROAM_TOP=$(abspath .) bench/fetch-imap.sh

.PHONY: bench-fetch-imap
