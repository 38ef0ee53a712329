package daemon

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
)

// Status is what the daemon answers on its status socket, and what
// `dualpath status --json` prints. The JSON schema is stable: fields are only
// ever added, never renamed or removed, and times are RFC 3339 in UTC.
//
//	{
//	  "version": "v1.0.0",            // daemon version
//	  "pid": 1234,
//	  "started": "2026-11-25T23:00:00Z",
//	  "config": "/etc/dualpath/dualpath.yaml",
//	  "line": {                       // omitted when no MAP-E rule matches the host's prefix
//	    "provider": "v6プラス (JPNE)",
//	    "prefix": "2001:db8:12:3400::/56",
//	    "shared_ipv4": "192.0.2.34",
//	    "psid": 52,
//	    "port_count": 240,
//	    "port_ranges": ["4928-4943", "..."]
//	  },
//	  "session": {
//	    "state": "up",                // disabled | starting | connecting | up | down | stopping
//	    "interface": "enp1s0",        // LAN interface carrying the PPPoE frames
//	    "tun": "dp-ppp0",
//	    "address": "203.0.113.7",     // while up
//	    "peer": "203.0.113.1",        // while up
//	    "dns": ["203.0.113.53"],      // from IPCP, while up
//	    "mtu": 1454,
//	    "up_since": "2026-11-25T23:00:05Z",  // while up
//	    "uptime_seconds": 3600,       // while up
//	    "reconnects": 0,              // sessions that came up after the first
//	    "last_error": "",             // why the last session ended or failed
//	    "last_error_at": "...",
//	    "rx_bytes": 0, "tx_bytes": 0, "rx_packets": 0, "tx_packets": 0
//	  },
//	  "dns": [{
//	    "provider": "mydns",
//	    "name": "www.example.jp.",
//	    "family": "A",                // A | AAAA
//	    "source": "pppoe",            // pppoe | interface:NAME | http:URL | static:ADDR
//	    "value": "203.0.113.7",       // what the provider now publishes (as far as we know)
//	    "last_update": "...",         // last successful update or keepalive
//	    "next_keepalive": "...",      // when the record will be re-sent even unchanged
//	    "last_error": "",             // never contains a credential
//	    "last_error_at": "..."
//	  }],
//	  "firewall": {
//	    "active": true,               // the nftables table is in place
//	    "interface": "dp-ppp0",
//	    "tcp": [80, 443], "udp": [], "icmp_echo": true
//	  },
//	  "metrics": "127.0.0.1:9842",    // "" when off
//	  "components": [                 // parts this build or config does not run, and why
//	    {"name": "ddns", "running": false, "note": "..."}
//	  ],
//	  "warnings": ["nothing listens on TCP port 443 over IPv6: ..."]
//	}
type Status struct {
	Version    string          `json:"version"`
	PID        int             `json:"pid"`
	Started    time.Time       `json:"started"`
	Config     string          `json:"config,omitempty"`
	Line       *LineStatus     `json:"line,omitempty"`
	Session    SessionStatus   `json:"session"`
	DNS        []DNSStatus     `json:"dns"`
	Firewall   FirewallStatus  `json:"firewall"`
	Metrics    string          `json:"metrics"`
	Components []ComponentNote `json:"components"`
	Warnings   []string        `json:"warnings"`
}

// LineStatus is the MAP-E summary of the host's IPv6 prefix (package mape).
type LineStatus struct {
	Provider   string   `json:"provider"`
	Prefix     string   `json:"prefix"`
	SharedIPv4 string   `json:"shared_ipv4"`
	PSID       int      `json:"psid"`
	PortCount  int      `json:"port_count"`
	PortRanges []string `json:"port_ranges"`
}

// Session states.
const (
	StateDisabled   = "disabled"   // no pppoe section, or the session is not built in
	StateStarting   = "starting"   // the daemon is preparing (firewall, devices)
	StateConnecting = "connecting" // discovery or PPP negotiation in progress
	StateUp         = "up"
	StateDown       = "down" // lost; waiting before the next attempt
	StateStopping   = "stopping"
)

// SessionStatus is the PPPoE session as the daemon sees it.
type SessionStatus struct {
	State         string     `json:"state"`
	Interface     string     `json:"interface,omitempty"`
	TUN           string     `json:"tun,omitempty"`
	Address       string     `json:"address,omitempty"`
	Peer          string     `json:"peer,omitempty"`
	DNS           []string   `json:"dns,omitempty"`
	MTU           int        `json:"mtu,omitempty"`
	UpSince       *time.Time `json:"up_since,omitempty"`
	UptimeSeconds int64      `json:"uptime_seconds,omitempty"`
	Reconnects    int        `json:"reconnects"`
	LastError     string     `json:"last_error,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	RxBytes       uint64     `json:"rx_bytes"`
	TxBytes       uint64     `json:"tx_bytes"`
	RxPackets     uint64     `json:"rx_packets"`
	TxPackets     uint64     `json:"tx_packets"`
}

// DNSStatus is one published record (one name, one family).
type DNSStatus struct {
	Provider      string     `json:"provider"`
	Name          string     `json:"name"`
	Family        string     `json:"family"`
	Source        string     `json:"source"`
	Value         string     `json:"value,omitempty"`
	LastUpdate    *time.Time `json:"last_update,omitempty"`
	NextKeepalive *time.Time `json:"next_keepalive,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	// Problem says why the source gave nothing to publish at the last
	// check (e.g. "enp1s0 has only 192.168.1.10 (private); ...").
	Problem string `json:"problem,omitempty"`
}

// FirewallStatus is the nftables table guarding the PPPoE address.
type FirewallStatus struct {
	Active    bool     `json:"active"`
	Interface string   `json:"interface,omitempty"`
	TCP       []uint16 `json:"tcp"`
	UDP       []uint16 `json:"udp"`
	ICMPEcho  bool     `json:"icmp_echo"`
}

// ComponentNote names a part of the daemon that is not running and why.
type ComponentNote struct {
	Name    string `json:"name"`
	Running bool   `json:"running"`
	Note    string `json:"note,omitempty"`
}

// WriteText prints the status for a person: one block per area, the most
// important line first.
func (s *Status) WriteText(w io.Writer, now time.Time) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("dualpath %s, pid %d, running for %s", s.Version, s.PID, human(now.Sub(s.Started)))
	if l := s.Line; l != nil {
		ranges := strings.Join(l.PortRanges, " ")
		if len(l.PortRanges) > 4 {
			ranges = strings.Join(l.PortRanges[:4], " ") + " ..."
		}
		p("line:     %s, prefix %s: MAP-E IPv4 %s shared, PSID %d, %d ports (%s)",
			l.Provider, l.Prefix, l.SharedIPv4, l.PSID, l.PortCount, ranges)
	}
	ss := s.Session
	switch ss.State {
	case StateUp:
		p("session:  up on %s via %s, address %s (peer %s), up %s, %d reconnects",
			ss.TUN, ss.Interface, ss.Address, ss.Peer, human(time.Duration(ss.UptimeSeconds)*time.Second), ss.Reconnects)
		p("          traffic in %s (%d packets), out %s (%d packets)", bytesHuman(ss.RxBytes), ss.RxPackets, bytesHuman(ss.TxBytes), ss.TxPackets)
	case StateDisabled:
		p("session:  not running")
	default:
		p("session:  %s on %s, %d reconnects", ss.State, ss.Interface, ss.Reconnects)
	}
	if ss.LastError != "" {
		at := ""
		if ss.LastErrorAt != nil {
			at = " (" + human(now.Sub(*ss.LastErrorAt)) + " ago)"
		}
		p("          last error%s: %s", at, ss.LastError)
	}
	if len(s.DNS) == 0 {
		p("dns:      no records")
	}
	for i, d := range s.DNS {
		label := "dns:     "
		if i > 0 {
			label = "         "
		}
		val := d.Value
		if val == "" {
			val = "(not published yet)"
		}
		line := fmt.Sprintf("%s %s %s %s = %s from %s", label, d.Provider, d.Name, d.Family, val, d.Source)
		if d.LastUpdate != nil {
			line += ", updated " + human(now.Sub(*d.LastUpdate)) + " ago"
		}
		if d.NextKeepalive != nil {
			line += ", keepalive in " + human(d.NextKeepalive.Sub(now))
		}
		p("%s", line)
		if d.LastError != "" {
			p("           last error: %s", d.LastError)
		}
		if d.Problem != "" {
			p("           not published: %s", d.Problem)
		}
	}
	fw := s.Firewall
	if fw.Active {
		icmp := "ping refused"
		if fw.ICMPEcho {
			icmp = "ping answered"
		}
		p("firewall: inbound on %s: TCP %s, UDP %s, %s; all else dropped", fw.Interface, config.FormatPorts(fw.TCP), config.FormatPorts(fw.UDP), icmp)
	} else {
		p("firewall: not active")
	}
	if s.Metrics != "" {
		p("metrics:  http://%s/metrics", s.Metrics)
	}
	for _, c := range s.Components {
		if !c.Running {
			p("note:     %s is not running: %s", c.Name, c.Note)
		}
	}
	for _, wng := range s.Warnings {
		p("warning:  %s", wng)
	}
}

// human prints a duration the way a person reads it: 3d4h, 2h5m, 4m10s, 12s.
func human(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%ds", d/time.Minute, d%time.Minute/time.Second)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

func bytesHuman(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
