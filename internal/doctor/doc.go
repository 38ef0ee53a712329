// Package doctor finds what is wrong with a home server's line, LAN and host
// — the ordinary mistakes of the two-router set-up: two DHCP servers on one
// LAN, two routers with the same address, not knowing whether MAP-E limits
// IPv6 too (it does not), whether PPPoE passthrough works, and nginx (or a
// UDP service) not listening on IPv6 — and says, in English or Japanese, what to do.
//
// # Checks
//
// A Check is a small unit (ID, Group, Run(ctx) Result); Checks(env) lists
// them, RunAll runs them side by side. The active probes (package probe)
// only ask: a DHCP DISCOVER without REQUEST, RFC 5227 ARP probes with sender
// address 0.0.0.0, a Router Solicitation, a PADI without PADR. Nothing on the
// host or the LAN is changed and no session or lease is taken.
//
//	line.ipv6          a global IPv6 address on the LAN interface
//	line.mape          the /56 against the MAP-E rules: provider, shared IPv4,
//	                   port set; exposed ports impossible over MAP-E IPv4
//	line.dslite        AFTR names resolvable, 192.0.0.0/29 addresses
//	line.pppoe         PADI: the answering ACs (name, services, MAC) or none
//	line.inbound-ipv4  on a MAP-E or DS-Lite line, the paths for inbound IPv4:
//	                   PPPoE passthrough seen, a fixed-IP tunnel configured
//	                   and answering (from the daemon); run after the others
//	lan.plan           the config's plan: section is consistent (with --config)
//	lan.dhcp           DHCP servers that offer; more than one is a failure
//	                   (listens --timeout + 3 s: servers ping before offering)
//	lan.addresses      ARP probe of the plan's router and server addresses
//	lan.ipv6-routers   routers answering a Router Solicitation
//	host.listen.tcpN   port N listens on IPv4 and IPv6 (v6only from sock_diag);
//	                   one per expose.tcp port, 80 and 443 without a config
//	host.listen.udpN   UDP port N is bound (unconnected) on IPv4 and IPv6;
//	                   one per expose.udp port, none without one
//	host.rp_filter     reverse-path filter on the LAN interface and PPPoE TUN
//	host.default-routes where the IPv4 and IPv6 default routes point (interface,
//	                   gateway, which router by address or by MAC from the
//	                   neighbour table); more than one IPv4 default route;
//	                   with a plan, whether they match its mode
//	host.firewall      the host's own firewall (ufw, iptables, other nft base
//	                   chains on the input hook; `nft -j list ruleset` and
//	                   iptables-legacy-save, only read): does a new IPv4 TCP
//	                   connection to each exposed port on the PPPoE TUN (the
//	                   LAN interface without pppoe:) pass? Fix: the exact
//	                   ufw, iptables or nft command
//	host.daemon        dualpath run's policy rule, table and nft table
//	host.ipv6-address  a stable (not only temporary) IPv6 address to publish
//
// # Text output
//
// Grouped by line, LAN, host; one line "[STATUS] id: summary" and, when
// there is something to do, "fix: ..." (Japanese: "対処: ..."), wrapped to 80
// columns with East Asian wide characters counted as two. The language is
// Japanese when LC_ALL, LC_MESSAGES or LANG (the first one set) starts with
// "ja". Exit code 0 without failures, 1 with any, 2 for bad flags or config.
//
// # JSON output (--json), schema version 1
//
//	{
//	  "version": 1,              // integer; bumped on incompatible change
//	  "lang": "en",              // "en" | "ja": language of summary and fix
//	  "checks": [                // in report order
//	    {
//	      "id": "lan.dhcp",      // stable dotted identifier (list above)
//	      "group": "lan",        // "line" | "lan" | "host"
//	      "status": "fail",      // "ok" | "warn" | "fail" | "skip"
//	      "summary": "...",      // one line: what was found
//	      "fix": "...",          // one line: what to do; "" when nothing
//	      "details": {...}       // object, per check; always present
//	    }
//	  ]
//	}
//
// Details per check (keys are stable; values are strings unless noted):
//
//	lan.dhcp          servers: [{address, mac, offered}]
//	lan.addresses     <plan key>: {address, macs: [string]}
//	lan.ipv6-routers  routers: [{address, mac, lifetime_s (int), prefixes:
//	                  [string], managed (bool), other (bool)}]
//	line.pppoe        acs: [{ac_name, mac, service_names: [string], errors:
//	                  [string]}]
//	line.ipv6         interface, global: [string]
//	line.mape         provider, end_user_prefix, ipv4, shared (bool), psid
//	                  (int), port_count (int), port_ranges: [string], br,
//	                  unavailable_ports: [string]
//	line.dslite       aftr: {name: [address]}, b4_addresses: [string]
//	line.inbound-ipv4 mape, dslite, pppoe_passthrough, pppoe_configured
//	                  (bool), tunnel_br, tunnel_state
//	lan.plan          problems: [string]
//	host.listen.tcpN  port (int), ipv4 (bool), ipv6 (bool),
//	                  ipv4_via_dual_stack (bool), v6only_guessed (bool),
//	                  sockets: [string]
//	host.listen.udpN  the same keys as host.listen.tcpN, for UDP port N
//	host.rp_filter    rp_filter: {interface: int}
//	host.default-routes ipv4, ipv6: [{interface, gateway, metric (int), mac,
//	                  router}], mode (with a plan)
//	host.firewall     interface, ufw (bool), sources: [string], ports: [{port
//	                  (int), pass (bool), blocked_by: [string], unsure:
//	                  [string]}]
//	host.daemon       status_socket, table (int), missing: [string]
//	host.ipv6-address stable: [string], temporary: [string]
package doctor
