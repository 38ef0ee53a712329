#!/bin/sh
# dualpath postrm. Called as (Debian policy, chapter 6):
#   postrm remove                 forget the unit (files are gone)
#   postrm purge                  also delete everything dualpath made:
#     /var/lib/dualpath           journal of host changes, last session, DNS state
#     /etc/dualpath               the config and the secret files kept there
#                                 (PPPoE password, DDNS tokens, TSIG keys)
#     /run/dualpath               the status socket, if a daemon left it
#     deb-systemd-helper's record of the unit and its enable links
#   The system user dualpath stays (Debian policy 9.2.1: files it owned
#   elsewhere would otherwise pass to a future user with the same id).
#   postrm upgrade|failed-upgrade|abort-install|abort-upgrade|disappear: nothing
set -e
unit=dualpath.service

case "$1" in
remove)
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
	;;
purge)
	rm -rf /var/lib/dualpath /etc/dualpath /run/dualpath
	if command -v deb-systemd-helper >/dev/null 2>&1; then
		deb-systemd-helper purge "$unit" >/dev/null || true
	fi
	;;
upgrade|failed-upgrade|abort-install|abort-upgrade|disappear)
	;;
*)
	echo "postrm called with unknown argument '$1'" >&2
	exit 1
	;;
esac
exit 0
