#!/bin/sh
# dualpath .deb preremove: stop the daemon, which removes its firewall table,
# rules, routes and devices on the way out.
set -e
if [ -d /run/systemd/system ]; then
	systemctl disable --now dualpath.service >/dev/null 2>&1 || true
fi
