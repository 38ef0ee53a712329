package config

import (
	"fmt"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// Summary describes what the daemon will do with this config, for
// `dualpath check-config`: one sentence a line, in both languages. It
// names files but never reads or shows a secret.
func (c *Config) Summary() msg.Text {
	var s []msg.Text
	icmp := msg.T("ping refused", "ping に応答しない")
	if c.Expose.ICMPEcho != nil && *c.Expose.ICMPEcho {
		icmp = msg.T("ping answered", "ping に応答")
	}
	if p := c.PPPoE; p != nil {
		mac := msg.T("the interface's own MAC", "インターフェース自身の MAC")
		if p.Macvlan {
			mac = msg.T("a macvlan with its own MAC", "専用の MAC を持つ macvlan")
		}
		route := msg.T("replies from its address routed by table %d", "そのアドレスからの応答は経路表 %d で送る", p.Table)
		if p.DefaultRoute {
			route = msg.T("%s, and all IPv4 routed through it", "%s。IPv4 の通信すべてもセッション経由", route)
		}
		s = append(s, msg.T("PPPoE session as %s on %s (%s, MTU %d, auth %s) on TUN %s, %s.",
			"PPPoE セッション: %s として %s で（%s、MTU %d、認証 %s）、TUN %s。%s。",
			p.Username, c.Interface, mac, p.MTU, p.Auth, p.TUN, route))
		s = append(s, msg.T("Inbound on the PPPoE address: TCP %s, UDP %s, %s; everything else dropped.",
			"PPPoE のアドレスで受け付けるもの: TCP %s、UDP %s、%s。ほかはすべて破棄。",
			PortsText(c.Expose.TCP), PortsText(c.Expose.UDP), icmp))
	} else if t := c.Tunnel; t != nil {
		update := msg.T("no update URL", "更新 URL なし")
		if t.Update != nil {
			update = msg.T("update URL called on a prefix change", "プレフィックスが変わると更新 URL を呼ぶ")
		}
		s = append(s, msg.T("Fixed-IP tunnel (IPv4-in-IPv6) for %s to BR %s from interface ID %s on %s's /64, MTU %d, TUN %s, replies routed by table %d, %s.",
			"固定 IP のトンネル（IPv4-in-IPv6）: %s、BR %s へ、%[4]s の /64 のインターフェース ID %[3]s から、MTU %[5]d、TUN %[6]s、応答は経路表 %[7]d で送る、%[8]s。",
			t.IPv4Block(), t.BRAddr(), strings.TrimSpace(t.InterfaceID), c.Interface, t.MTU, t.TUN, t.Table, update))
		s = append(s, msg.T("Inbound on the fixed address(es): TCP %s, UDP %s, %s; everything else dropped.",
			"固定のアドレスで受け付けるもの: TCP %s、UDP %s、%s。ほかはすべて破棄。",
			PortsText(c.Expose.TCP), PortsText(c.Expose.UDP), icmp))
	} else {
		s = append(s, msg.T("No PPPoE session (two-router mode).", "PPPoE セッションなし（ルーター2台の構成）。"))
	}
	if len(c.DDNS) == 0 {
		s = append(s, msg.T("No DNS records.", "DNS のレコードなし。"))
	} else {
		var rs []msg.Text
		for _, d := range c.DDNS {
			name := d.Name
			if name == "" {
				name = d.Username
			}
			r := d.Provider
			if name != "" {
				r += " " + name
			}
			rs = append(rs, msg.T("%s (A: %s, AAAA: %s)", "%s（A は %s、AAAA は %s から）", r, d.IPv4.String(), d.IPv6.String()))
		}
		s = append(s, msg.T("DNS: %s.", "DNS: %s。", msg.Join(rs, msg.T("; ", "、"))))
	}
	metrics := msg.T("metrics off", "メトリクスなし")
	if c.Metrics.Listen != "off" {
		metrics = msg.T("metrics on http://%s/metrics", "メトリクスは http://%s/metrics", c.Metrics.Listen)
	}
	s = append(s, msg.T("Status on %s, %s, state in %s.", "状態ソケットは %s、%s、状態は %s に置く。", c.Status.Socket, metrics, c.StateDir))
	return msg.Join(s, msg.Same("\n"))
}

// PortsText is FormatPorts in both languages ("none", 「なし」).
func PortsText(ps []uint16) msg.Text {
	if len(ps) == 0 {
		return msg.T("none", "なし")
	}
	return msg.Same(FormatPorts(ps))
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
