// Package ddns keeps DNS names pointing at the server, one address family per
// path: the A record from the PPPoE session (or another source), the AAAA
// record from the server's stable global IPv6 address.
//
// The package has three layers:
//
//   - address sources and guards (source.go, choose.go, guard.go): where a
//     record's address comes from (pppoe, interface:NAME, http:URL,
//     static:ADDR, none), how a stable IPv6 address is chosen from netlink
//     flags and lifetimes, and which addresses must never be published;
//   - providers (mydns.go, rfc2136.go, cloudflare.go, duckdns.go,
//     dyndns2.go): one update per call, answers decoded into *Error values
//     that say what went wrong without ever carrying a credential;
//   - the Updater (updater.go): reacts to address and PPPoE session events,
//     polls, keeps records alive, persists what it published, verifies the
//     result and backs off on failure. It never exits because a provider
//     said no.
//
// Platform code (netlink) lives in internal/hostnet; this package builds on
// any OS and its choice logic is pure and table-tested.
package ddns
