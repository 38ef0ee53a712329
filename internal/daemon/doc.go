// Package daemon is `dualpath run`: it supervises the PPPoE session, the
// policy routing and the nftables table that guard it, and the DDNS updater;
// answers `dualpath status` over a local unix socket; serves Prometheus
// metrics on loopback; and talks to systemd (READY, STATUS, watchdog).
package daemon
