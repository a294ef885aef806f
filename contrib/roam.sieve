# roam.sieve — Dovecot (Pigeonhole) Sieve: forward to the laptop while its
# exported address is alive, keep the message here otherwise. The Sieve
# counterpart of contrib/procmailrc, for servers that deliver with Dovecot's
# LDA or LMTP. See roam-redirect(1), --exit-status.
#
# roam-redirect --exit-status --for RECIPIENT prints the recipient's alive
# destination and exits 0 while the recipient's target (its row of
# [redirect] recipients, or the single target/alive keys) is alive; it prints
# nothing and exits 1 for anything else (away, unknown recipient, any
# trouble). The "if" fails then, and the message falls through to the
# implicit keep: nothing is ever lost to a problem of roam's.
#
# Dovecot settings it needs (conf.d/90-sieve.conf, 90-sieve-extprograms.conf):
#
#   protocol lda  { mail_plugins = $mail_plugins sieve }
#   protocol lmtp { mail_plugins = $mail_plugins sieve }
#   plugin {
#     sieve_plugins = sieve_extprograms
#     sieve_extensions = +vnd.dovecot.execute
#     # a directory holding roam-redirect (a symlink to /usr/bin/roam-redirect
#     # will do); only programs in it can be executed
#     sieve_execute_bin_dir = /usr/lib/dovecot/sieve-execute
#   }
#
# The script runs as the recipient's mail user; roam-redirect reads
# /etc/roam.conf and roam-probe's state files (world-readable) as that user.

require ["vnd.dovecot.execute", "variables", "envelope"];

# the envelope recipient, as the MTA gave it to the LDA (-a) or LMTP (RCPT TO)
if envelope :matches "to" "*" {
	set "rcpt" "${1}";
}
if execute :output "to" "roam-redirect" ["--exit-status", "--for", "${rcpt}"] {
	redirect "${to}";
}
