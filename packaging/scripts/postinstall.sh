#!/bin/sh
# dualpath postinst. Called as (Debian policy, chapter 6):
#   postinst configure [OLD-VERSION]        install, upgrade, reinstall
#   postinst abort-upgrade|abort-remove|abort-deconfigure ...
# A first install creates the system user and leaves the service disabled
# and stopped: the config must be edited first. An upgrade keeps the unit
# as it was (enabled or not) and restarts it only if it was running
# (try-restart), through deb-systemd-helper and deb-systemd-invoke, which
# honour policy-rc.d.
set -e
unit=dualpath.service

case "$1" in
configure|abort-upgrade|abort-remove|abort-deconfigure)
	if [ "$1" = configure ] && ! getent passwd dualpath >/dev/null; then
		useradd --system --user-group --no-create-home \
			--home-dir /var/lib/dualpath --shell /usr/sbin/nologin \
			--comment "dualpath daemon" dualpath
	fi
	# Enabled stays enabled (new [Install] links are made); a unit never
	# enabled is only recorded, so that purge can clean up after it.
	if deb-systemd-helper debian-installed "$unit" &&
		deb-systemd-helper --quiet was-enabled "$unit"; then
		deb-systemd-helper enable "$unit" >/dev/null || true
	fi
	deb-systemd-helper update-state "$unit" >/dev/null || true
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then
			deb-systemd-invoke try-restart "$unit" >/dev/null || true
		fi
	fi
	if [ "$1" = configure ] && [ -z "$2" ]; then
		echo "dualpath installed: edit /etc/dualpath/dualpath.yaml, then run"
		echo "  sudo -u dualpath dualpath check-config /etc/dualpath/dualpath.yaml"
		echo "  sudo systemctl enable --now dualpath"
	fi
	;;
*)
	echo "postinst called with unknown argument '$1'" >&2
	exit 1
	;;
esac
exit 0
