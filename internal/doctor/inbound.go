package doctor

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"time"
)

// InboundFacts are what the summary of the inbound IPv4 paths looks at.
type InboundFacts struct {
	// MAPE and DSLite: the line's own IPv4 is shared (MAP-E) or absent
	// inbound (DS-Lite), so 80/443 over IPv4 need another path.
	MAPE, DSLite bool
	// PPPoE is line.pppoe's status: OK when an access concentrator
	// answered through the router's passthrough, Skip when not probed.
	PPPoE Status
	// PPPoEConfigured: the config has a pppoe section.
	PPPoEConfigured bool
	// TunnelBR is the fixed-IP tunnel's BR ("" without a tunnel section);
	// TunnelState the daemon's tunnel state ("" when no daemon answered).
	TunnelBR, TunnelState string
}

// InboundVerdict says which paths for inbound IPv4 exist on a MAP-E or
// DS-Lite line: PPPoE through the router's passthrough, and a fixed-IP
// IPv4-over-IPv6 tunnel (configured, and answering when the daemon runs).
func InboundVerdict(f InboundFacts) Result {
	d := map[string]any{"mape": f.MAPE, "dslite": f.DSLite, "pppoe_passthrough": f.PPPoE == OK,
		"pppoe_configured": f.PPPoEConfigured, "tunnel_br": f.TunnelBR, "tunnel_state": f.TunnelState}
	if !f.MAPE && !f.DSLite {
		return Result{Status: Skip, Details: d,
			Summary: T("not a MAP-E or DS-Lite line: inbound IPv4 is the line's own business", "MAP-E でも DS-Lite でもない回線です: 外からの IPv4 は回線しだいです")}
	}
	var paths, pathsJA []string
	switch f.PPPoE {
	case OK:
		paths = append(paths, "PPPoE passthrough works")
		pathsJA = append(pathsJA, "PPPoE パススルーが使えます")
	case Skip:
		paths = append(paths, "PPPoE not probed")
		pathsJA = append(pathsJA, "PPPoE は未調査")
	default:
		paths = append(paths, "no PPPoE through the router")
		pathsJA = append(pathsJA, "ルータ越しの PPPoE はありません")
	}
	tunnelUp := false
	switch {
	case f.TunnelBR == "":
		paths = append(paths, "no fixed-IP tunnel configured")
		pathsJA = append(pathsJA, "固定 IP トンネルの設定はありません")
	case f.TunnelState == "":
		paths = append(paths, "fixed-IP tunnel to "+f.TunnelBR+" configured (daemon not running: not tested)")
		pathsJA = append(pathsJA, f.TunnelBR+" への固定 IP トンネルを設定済み（デーモン停止中のため未確認）")
	case f.TunnelState == "up":
		tunnelUp = true
		paths = append(paths, "fixed-IP tunnel to "+f.TunnelBR+" answers")
		pathsJA = append(pathsJA, f.TunnelBR+" への固定 IP トンネルが応答")
	default:
		paths = append(paths, "fixed-IP tunnel to "+f.TunnelBR+" does not answer ("+f.TunnelState+")")
		pathsJA = append(pathsJA, f.TunnelBR+" への固定 IP トンネルが応答しません（"+f.TunnelState+"）")
	}
	sum := Text{EN: "inbound IPv4: " + strings.Join(paths, "; "), JA: "外からの IPv4: " + strings.Join(pathsJA, "、")}
	switch {
	case f.TunnelBR != "" && f.TunnelState != "" && !tunnelUp:
		return Result{Status: Warn, Details: d, Summary: sum,
			Fix: T("let IPv6 next header 4 (IPv4-in-IPv6) from %s through the router's IPv6 filter to this server, and check the provider's update URL in dualpath status",
				"ルータの IPv6 フィルタで %s からの次ヘッダー 4（IPv4-in-IPv6）をこのサーバへ通し、dualpath status で更新 URL の結果を確認してください", f.TunnelBR)}
	case tunnelUp || f.PPPoE == OK || f.TunnelBR != "":
		return Result{Status: OK, Details: d, Summary: sum}
	case f.PPPoE == Skip:
		return Result{Status: Skip, Details: d, Summary: sum}
	}
	return Result{Status: Warn, Details: d, Summary: sum,
		Fix: T("turn PPPoE passthrough on in the router (then pppoe: in the config), or buy a fixed-IP IPv4-over-IPv6 service (tunnel: in the config)",
			"ルータの PPPoE パススルーを ON にする（設定は pppoe:）か、固定 IP の IPv4 over IPv6 サービスを契約してください（設定は tunnel:）")}
}

// InboundPaths sums up, after the other checks ran, which paths for
// inbound IPv4 exist (the check line.inbound-ipv4).
func InboundPaths(ctx context.Context, outs []Outcome, env *Env) Outcome {
	f := InboundFacts{PPPoE: Skip}
	for _, o := range outs {
		switch o.ID {
		case "line.mape":
			p, _ := o.Details["provider"].(string)
			f.MAPE = p != ""
		case "line.dslite":
			f.DSLite = o.Status == Warn
		case "line.pppoe":
			f.PPPoE = o.Status
		}
	}
	sock := "/run/dualpath/status.sock"
	if c := env.Config; c != nil {
		f.PPPoEConfigured = c.PPPoE != nil
		if c.Tunnel != nil {
			f.TunnelBR = c.Tunnel.BRAddr().String()
		}
		if c.Status.Socket != "" {
			sock = c.Status.Socket
		}
	}
	if f.TunnelBR != "" {
		f.TunnelState = daemonTunnelState(ctx, sock)
	}
	return Outcome{ID: "line.inbound-ipv4", Group: GroupLine, Result: InboundVerdict(f)}
}

// daemonTunnelState reads the tunnel's state from the daemon's status
// socket ("" when none answers). Only that field is decoded: doctor does
// not depend on the daemon's package.
func daemonTunnelState(ctx context.Context, sock string) string {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(io.LimitReader(c, 4<<20))
	if err != nil {
		return ""
	}
	var st struct {
		Tunnel *struct {
			State string `json:"state"`
		} `json:"tunnel"`
	}
	if json.Unmarshal(b, &st) != nil || st.Tunnel == nil {
		return ""
	}
	return st.Tunnel.State
}

// WithInbound returns outs with the inbound IPv4 summary placed after the
// line's checks.
func WithInbound(ctx context.Context, outs []Outcome, env *Env) []Outcome {
	o := InboundPaths(ctx, outs, env)
	at := 0
	for i, x := range outs {
		if x.Group == GroupLine {
			at = i + 1
		}
	}
	return append(outs[:at:at], append([]Outcome{o}, outs[at:]...)...)
}
