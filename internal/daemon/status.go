package daemon

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
)

// Status is what the daemon answers on its status socket, and what
// `dualpath status --json` prints. The JSON schema is stable: fields are only
// ever added, never renamed or removed, and times are RFC 3339 in UTC.
//
//	{
//	  "running": true,
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
//	    "last_error_at": "...",
//	    "check": "unchanged (checked at ns1.example.jp 0.2 s ago)", // or "sent", "unchanged (not verifiable: ...)"
//	    "check_sent": false, "check_where": "ns1.example.jp", "check_at": "...", "check_why": ""
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
	// Running is true in every answer of the daemon; `dualpath status
	// --json` prints {"running": false, "socket": ..., "error": ...} when
	// none answers.
	Running    bool            `json:"running"`
	Version    string          `json:"version"`
	PID        int             `json:"pid"`
	Started    time.Time       `json:"started"`
	Config     string          `json:"config,omitempty"`
	Line       *LineStatus     `json:"line,omitempty"`
	Session    SessionStatus   `json:"session"`
	Tunnel     *TunnelStatus   `json:"tunnel,omitempty"` // with a tunnel section (tunnel.go)
	DNS        []DNSStatus     `json:"dns"`
	Firewall   FirewallStatus  `json:"firewall"`
	Metrics    string          `json:"metrics"`
	Components []ComponentNote `json:"components"`
	Reach      *ReachStatus    `json:"reach,omitempty"` // the last check from outside (reach.go)
	Warnings   []string        `json:"warnings"`
	WarningsJA []string        `json:"warnings_ja,omitempty"` // the same, in Japanese, when known
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
	LastErrorCode string     `json:"last_error_code,omitempty"`
	LastErrorJA   string     `json:"last_error_ja,omitempty"`
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
	LastErrorCode string     `json:"last_error_code,omitempty"`
	LastErrorJA   string     `json:"last_error_ja,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	// Problem says why the source gave nothing to publish at the last
	// check (e.g. "enp1s0 has only 192.168.1.10 (private); ...").
	Problem   string `json:"problem,omitempty"`
	ProblemJA string `json:"problem_ja,omitempty"` // Problem in Japanese
	// Check is what the last check did: "sent", "unchanged (checked at
	// ns1.example.net 0.2 s ago)", "unchanged (not verifiable: ...)".
	Check string `json:"check,omitempty"`
	// CheckSent, CheckWhere, CheckAt and CheckWhy are Check's parts, for
	// the text in the reader's language.
	CheckSent  bool       `json:"check_sent,omitempty"`
	CheckWhere string     `json:"check_where,omitempty"`
	CheckAt    *time.Time `json:"check_at,omitempty"`
	CheckWhy   string     `json:"check_why,omitempty"`
	CheckWhyJA string     `json:"check_why_ja,omitempty"` // CheckWhy in Japanese
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
	NoteJA  string `json:"note_ja,omitempty"` // Note in Japanese
}

// WriteText prints the status for a person, in English.
func (s *Status) WriteText(w io.Writer, now time.Time) { s.WriteTextIn(w, now, msg.English) }

// statusLabels are the labels of WriteTextIn's blocks, padded to one column.
var statusLabels = map[string]msg.Text{
	"line":     msg.T("line:", "回線:"),
	"session":  msg.T("session:", "セッション:"),
	"tunnel":   msg.T("tunnel:", "トンネル:"),
	"dns":      msg.T("dns:", "DNS:"),
	"firewall": msg.T("firewall:", "ファイアウォール:"),
	"metrics":  msg.T("metrics:", "メトリクス:"),
	"reach":    msg.T("outside:", "外から:"),
	"note":     msg.T("note:", "注意:"),
	"warning":  msg.T("warning:", "警告:"),
}

// WriteTextIn prints the status for a person in lang: one block per area,
// the most important line first, every line fitted to 80 columns. Values
// the daemon's parts report (errors, problems, warnings) are as they gave
// them.
func (s *Status) WriteTextIn(w io.Writer, now time.Time, lang msg.Lang) {
	col := 0
	for _, l := range statusLabels {
		col = max(col, termtext.DisplayWidth(l.In(lang))+1)
	}
	pad := strings.Repeat(" ", col)
	line := func(label string, t msg.Text) {
		head := pad
		if label != "" {
			l := statusLabels[label].In(lang)
			head = l + strings.Repeat(" ", col-termtext.DisplayWidth(l))
		}
		msg.Hanging(w, head, pad+"  ", t.In(lang))
	}
	more := func(t msg.Text) { msg.Hanging(w, pad+" ", pad+"   ", t.In(lang)) }
	ago := func(t time.Time) msg.Text { return msg.T("%s ago", "%s前", human(now.Sub(t))) }

	msg.Fit(w, msg.T("dualpath %s, pid %d, running for %s", "dualpath %s、pid %d、稼働 %s",
		s.Version, s.PID, human(now.Sub(s.Started))).In(lang))
	if l := s.Line; l != nil {
		ranges := strings.Join(l.PortRanges, " ")
		if len(l.PortRanges) > 4 {
			ranges = strings.Join(l.PortRanges[:4], " ") + " ..."
		}
		line("line", msg.T("%s, prefix %s: MAP-E IPv4 %s shared, PSID %d, %d ports (%s)",
			"%s、プレフィックス %s: MAP-E の共有 IPv4 %s、PSID %d、%d ポート（%s）",
			l.Provider, l.Prefix, l.SharedIPv4, l.PSID, l.PortCount, ranges))
	}
	if s.Tunnel != nil {
		writeTunnelText(s.Tunnel, line, ago)
	}
	ss := s.Session
	switch {
	case s.Tunnel != nil && ss.State == StateDisabled: // the tunnel is the inbound path
	case ss.State == StateUp:
		line("session", msg.T("up on %s via %s, address %s (peer %s), up %s, %d reconnects",
			"接続中（%s、%s 経由）、アドレス %s（相手 %s）、接続 %s、再接続 %d 回",
			ss.TUN, ss.Interface, ss.Address, ss.Peer, human(time.Duration(ss.UptimeSeconds)*time.Second), ss.Reconnects))
		line("", msg.T("traffic in %s (%d packets), out %s (%d packets)", "受信 %s（%d パケット）、送信 %s（%d パケット）",
			bytesHuman(ss.RxBytes), ss.RxPackets, bytesHuman(ss.TxBytes), ss.TxPackets))
	case ss.State == StateDisabled:
		line("session", msg.T("not running", "動いていません"))
	default:
		line("session", msg.T("%s on %s, %d reconnects", "%s（%s）、再接続 %d 回", sessionState(ss.State), ss.Interface, ss.Reconnects))
	}
	if ss.LastError != "" {
		why := msg.FromWire(ss.LastErrorCode, ss.LastError, ss.LastErrorJA)
		if ss.LastErrorAt != nil {
			line("", msg.T("last error (%s): %s", "最後のエラー（%s）: %s", ago(*ss.LastErrorAt), why))
		} else {
			line("", msg.T("last error: %s", "最後のエラー: %s", why))
		}
	}
	if len(s.DNS) == 0 {
		line("dns", msg.T("no records", "レコードなし"))
	}
	for i, d := range s.DNS {
		label := "dns"
		if i > 0 {
			label = ""
		}
		val := msg.Same(d.Value)
		if d.Value == "" {
			val = msg.T("(not published yet)", "（未登録）")
		}
		t := msg.T("%s %s %s = %s from %s", "%s %s %s = %s（取得元 %s）", d.Provider, d.Name, d.Family, val, d.Source)
		if d.LastUpdate != nil {
			t = msg.T("%s, updated %s", "%s、更新 %s", t, ago(*d.LastUpdate))
		}
		if d.NextKeepalive != nil {
			t = msg.T("%s, keepalive in %s", "%s、次の再送まで %s", t, human(d.NextKeepalive.Sub(now)))
		}
		line(label, t)
		switch {
		case d.CheckSent:
			more(msg.T("last check: sent", "最後の確認: 送信しました"))
		case d.CheckWhy != "":
			more(msg.T("last check: unchanged (not verifiable: %s)", "最後の確認: 変更なし（確認できず: %s）", msg.Text{EN: d.CheckWhy, JA: d.CheckWhyJA}))
		case d.CheckWhere != "" && d.CheckAt != nil:
			more(msg.T("last check: unchanged (checked at %s %s ago)", "最後の確認: 変更なし（%s で %s 前に確認）",
				d.CheckWhere, human(now.Sub(*d.CheckAt))))
		case d.Check != "":
			more(msg.T("last check: %s", "最後の確認: %s", d.Check))
		}
		if d.LastError != "" {
			more(msg.T("last error: %s", "最後のエラー: %s", msg.FromWire(d.LastErrorCode, d.LastError, d.LastErrorJA)))
		}
		if d.Problem != "" {
			more(msg.T("not published: %s", "未登録の理由: %s", msg.Text{EN: d.Problem, JA: d.ProblemJA}))
		}
	}
	fw := s.Firewall
	if fw.Active {
		icmp := msg.T("ping refused", "ping は拒否")
		if fw.ICMPEcho {
			icmp = msg.T("ping answered", "ping に応答")
		}
		line("firewall", msg.T("inbound on %s: TCP %s, UDP %s, %s; all else dropped",
			"%s への受信: TCP %s、UDP %s、%s。それ以外は破棄",
			fw.Interface, config.PortsText(fw.TCP), config.PortsText(fw.UDP), icmp))
	} else {
		line("firewall", msg.T("not active", "無効"))
	}
	s.writeReach(line, ago)
	if s.Metrics != "" {
		line("metrics", msg.Same("http://"+s.Metrics+"/metrics"))
	}
	for _, c := range s.Components {
		if !c.Running {
			line("note", msg.T("%s is not running: %s", "%s は動いていません: %s", componentName(c.Name), msg.Text{EN: c.Note, JA: c.NoteJA}))
		}
	}
	for i, wng := range s.Warnings {
		t := msg.Same(wng)
		if i < len(s.WarningsJA) && len(s.WarningsJA) == len(s.Warnings) && s.WarningsJA[i] != "" {
			t.JA = s.WarningsJA[i]
		}
		line("warning", t)
	}
}

// componentName names a part of the daemon in both languages.
func componentName(name string) msg.Text {
	switch name {
	case "session":
		return msg.T("session", "PPPoE セッション")
	case "firewall":
		return msg.T("firewall", "ファイアウォール")
	case "line":
		return msg.T("line", "回線の判定")
	case "notify":
		return msg.T("notify", "通知")
	case "check":
		return msg.T("check", "外からの到達確認")
	case "ddns":
		return msg.T("ddns", "DNS の更新")
	}
	return msg.Same(name)
}

// sessionState names a session state in both languages.
func sessionState(state string) msg.Text {
	switch state {
	case StateStarting:
		return msg.T("starting", "準備中")
	case StateConnecting:
		return msg.T("connecting", "接続処理中")
	case StateDown:
		return msg.T("down", "切断中")
	case StateStopping:
		return msg.T("stopping", "停止中")
	}
	return msg.Same(state)
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
