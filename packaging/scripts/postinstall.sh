#!/bin/sh
# dualpath .deb postinstall: create the system user the service runs as.
# The service is not started: edit /etc/dualpath/dualpath.yaml first.
set -e
if ! getent passwd dualpath >/dev/null; then
	adduser --system --group --no-create-home --home /var/lib/dualpath \
		--gecos "dualpath daemon" dualpath >/dev/null 2>&1 || \
	useradd --system --user-group --no-create-home --home-dir /var/lib/dualpath \
		--shell /usr/sbin/nologin dualpath
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
echo "dualpath installed: edit /etc/dualpath/dualpath.yaml, then run"
echo "  dualpath check-config /etc/dualpath/dualpath.yaml && systemctl enable --now dualpath"
