#!/bin/sh
# dualpath .deb postremove: forget the unit. On purge, remove the state
# directory (the journal of host changes is empty after a clean stop).
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
if [ "$1" = "purge" ]; then
	rm -rf /var/lib/dualpath
fi
