#!/bin/sh
# dualpath prerm. Called as (Debian policy, chapter 6):
#   prerm remove                  apt remove / purge: stop and disable
#   prerm upgrade NEW-VERSION     keep running: postinst try-restarts it
#   prerm failed-upgrade OLD-VERSION, prerm deconfigure ...: nothing
# Stopping the daemon removes its firewall table, rules, routes and devices.
set -e
unit=dualpath.service

case "$1" in
remove)
	if [ -d /run/systemd/system ]; then
		deb-systemd-invoke stop "$unit" >/dev/null || true
	fi
	deb-systemd-helper disable "$unit" >/dev/null || true
	;;
upgrade|failed-upgrade|deconfigure)
	;;
*)
	echo "prerm called with unknown argument '$1'" >&2
	exit 1
	;;
esac
exit 0
