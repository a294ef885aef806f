#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/roam-fetch.login as a login runs it: the snippet as ~/.profile of a
# login shell (`sh -l`, with /etc/profile's PATH, nothing else in the
# environment) on a laptop namespace; the mail server namespace beside it has
# a real sshd and dovecot with three messages. The login must come back
# silent and at once (the fetch runs in the background, detached), the three
# messages must then arrive in ~'s Maildir, and nothing of it stays behind.
set -u
. "$ROAM_TOP/tests/lab/lib.sh"
. "$ROAM_TOP/tests/lab/contrib-lib.sh"
. "$ROAM_TOP/tests/lab/fetch-lib.sh"
snippet=$(cl_file '*fetch*.login' '*fetch*profile*' '*.login')
[ -n "$snippet" ] || cl_skip_all "roam-fetch.login"
lab_require_root
lab_init
plan 6

ok "make install into a private /usr/local" cl_install
home=$(lab_ns home)
laptop=$(lab_ns laptop)
lab_link "$home" 198.51.100.152/24 "$laptop" 203.0.113.230/26
ip -n "$home" route add 203.0.113.230/32 dev "$LAB_LINK_IF1"
ip -n "$laptop" route add 198.51.100.152/32 dev "$LAB_LINK_IF2"
ok "sshd and dovecot on the mail server" eval 'lab_sshd --ns "$home" 198.51.100.152 22 && lab_dovecot --ns "$home" 198.51.100.152'
fresh_server 3
c=$(conf laptop)
h=$LAB_TMP/home-root
mkdir -p "$h/.config/roam"
cp "$c" "$h/.config/roam/roam.conf"
cp "$snippet" "$h/.profile"
cl_conf ""

out=$(cl_host --ns "$laptop" env -i HOME="$h" TERM=dumb LOGNAME=root USER=root SHELL=/bin/sh \
	sh -l -c 'exit 0' 2>&1 </dev/null)
is "$?:$out" "0:" "a login shell with the snippet in ~/.profile: status 0, silent"

# the background fetch: wait until nothing runs in the laptop namespace any more
gone() {
	local i
	for ((i = 0; i < 3000; i++)); do
		[ -z "$(ip netns pids "$laptop")" ] && return 0
		sleep 0.01
	done
	return 1
}
ok "the background roam-fetch finishes (nothing left running)" gone
is "$(digests "$LAB_TMP/laptop/mail/new" "$LAB_TMP/laptop/mail/cur")" "$(cat "$LAB_TMP/orig")" \
	"the three messages are in ~'s Maildir"
is "$(server_count)" 0 "and gone from the server"
done_testing
