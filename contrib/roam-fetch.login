# roam-fetch(1) at login: add to ~/.profile (sh, bash) on the laptop.
#
# Fetches once in the background as soon as you log in, so mail that arrived
# while the laptop was away is there before the next cron run. Silent: errors
# go to syslog (stderr is not a terminal), as from cron. When cron's run is
# busy with the same account, this one exits 8 at once (one lock per account).

if command -v roam-fetch >/dev/null 2>&1; then
	( roam-fetch -q </dev/null >/dev/null 2>&1 & )
fi
