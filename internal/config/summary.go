package config

import (
	"fmt"
	"strings"
)

// Summary describes in one paragraph what the daemon will do with this
// config, for `dualpath check-config`. It names files but never reads or
// shows a secret.
func (c *Config) Summary() string {
	var s []string
	if p := c.PPPoE; p != nil {
		mac := "the interface's own MAC"
		if p.Macvlan {
			mac = "a macvlan with its own MAC"
		}
		route := fmt.Sprintf("replies from its address routed by table %d", p.Table)
		if p.DefaultRoute {
			route += ", and all IPv4 routed through it"
		}
		s = append(s, fmt.Sprintf("PPPoE session as %s on %s (%s, MTU %d, auth %s) on TUN %s, %s.",
			p.Username, c.Interface, mac, p.MTU, p.Auth, p.TUN, route))
		icmp := "ping refused"
		if c.Expose.ICMPEcho != nil && *c.Expose.ICMPEcho {
			icmp = "ping answered"
		}
		s = append(s, fmt.Sprintf("Inbound on the PPPoE address: TCP %s, UDP %s, %s; everything else dropped.",
			FormatPorts(c.Expose.TCP), FormatPorts(c.Expose.UDP), icmp))
	} else if t := c.Tunnel; t != nil {
		update := "no update URL"
		if t.Update != nil {
			update = "update URL called on a prefix change"
		}
		s = append(s, fmt.Sprintf("Fixed-IP tunnel (IPv4-in-IPv6) for %s to BR %s from interface ID %s on %s's /64, MTU %d, TUN %s, replies routed by table %d, %s.",
			t.IPv4Block(), t.BRAddr(), strings.TrimSpace(t.InterfaceID), c.Interface, t.MTU, t.TUN, t.Table, update))
		icmp := "ping refused"
		if c.Expose.ICMPEcho != nil && *c.Expose.ICMPEcho {
			icmp = "ping answered"
		}
		s = append(s, fmt.Sprintf("Inbound on the fixed address(es): TCP %s, UDP %s, %s; everything else dropped.",
			FormatPorts(c.Expose.TCP), FormatPorts(c.Expose.UDP), icmp))
	} else {
		s = append(s, "No PPPoE session (two-router mode).")
	}
	switch n := len(c.DDNS); n {
	case 0:
		s = append(s, "No DNS records.")
	default:
		var rs []string
		for _, d := range c.DDNS {
			name := d.Name
			if name == "" {
				name = d.Username
			}
			r := d.Provider
			if name != "" {
				r += " " + name
			}
			r += " (A: " + d.IPv4.String() + ", AAAA: " + d.IPv6.String() + ")"
			rs = append(rs, r)
		}
		s = append(s, fmt.Sprintf("DNS: %s.", strings.Join(rs, "; ")))
	}
	metrics := "metrics off"
	if c.Metrics.Listen != "off" {
		metrics = "metrics on http://" + c.Metrics.Listen + "/metrics"
	}
	s = append(s, fmt.Sprintf("Status on %s, %s, state in %s.", c.Status.Socket, metrics, c.StateDir))
	return strings.Join(s, " ")
}

// FormatPorts writes a port list the way dualpath shows it to people:
// "80,443", or "none" for an empty list. The config summary, `dualpath
// status` and the daemon's log use it, so a port list reads alike everywhere.
func FormatPorts(ps []uint16) string {
	if len(ps) == 0 {
		return "none"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ",")
}
