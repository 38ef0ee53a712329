package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
	"github.com/dualpath/dualpath/internal/tunnel"
)

// TunnelStatus is the fixed-IP tunnel as the daemon sees it (Status.Tunnel,
// present when the config has a tunnel section):
//
//	"tunnel": {
//	  "state": "up",                  // starting | waiting | updating | checking | up | failing | down
//	  "interface": "enp1s0", "tun": "dp-ipip0", "br": "2001:db8:ffff::1",
//	  "local": "2001:db8:1:2:c6:3364:7b00:0",   // the tunnel's IPv6 end point
//	  "prefix": "2001:db8:1:2::/64",
//	  "addresses": ["203.0.113.8", "..."],     // the fixed IPv4 address(es)
//	  "mtu": 1460,
//	  "verified_at": "...",           // last time the BR sent our probe back
//	  "last_update": "...", "last_update_result": "ok",
//	  "last_error": "", "last_error_at": "...",
//	  "history": [{"at": "...", "what": "new prefix: end point A -> B", "what_ja": "..."}]
//	}
type TunnelStatus struct {
	State            string       `json:"state"`
	Interface        string       `json:"interface"`
	TUN              string       `json:"tun"`
	BR               string       `json:"br"`
	Local            string       `json:"local,omitempty"`
	Prefix           string       `json:"prefix,omitempty"`
	Addresses        []string     `json:"addresses"`
	MTU              int          `json:"mtu"`
	VerifiedAt       *time.Time   `json:"verified_at,omitempty"`
	LastUpdate       *time.Time   `json:"last_update,omitempty"`
	LastUpdateResult string       `json:"last_update_result,omitempty"`
	LastError        string       `json:"last_error,omitempty"`
	LastErrorJA      string       `json:"last_error_ja,omitempty"`
	LastErrorAt      *time.Time   `json:"last_error_at,omitempty"`
	History          []TunnelStep `json:"history"`
}

// TunnelStep is one line of the tunnel's recent history, in English and
// Japanese.
type TunnelStep struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
	JA   string    `json:"what_ja"`
}

// tunnelHistory is how many steps status keeps.
const tunnelHistory = 8

type tunnelState struct {
	mu sync.Mutex
	s  TunnelStatus
}

// Tunnel is the tunnel's status (a TunnelSource).
func (t *tunnelState) Tunnel() *TunnelStatus { return t.snapshot() }

func (t *tunnelState) snapshot() *TunnelStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.s
	c.Addresses = append([]string{}, t.s.Addresses...)
	c.History = append([]TunnelStep{}, t.s.History...)
	return &c
}

func (t *tunnelState) note(at time.Time, what msg.Text) {
	t.s.History = append(t.s.History, TunnelStep{At: at.UTC(), What: what.EN, JA: what.JA})
	if len(t.s.History) > tunnelHistory {
		t.s.History = t.s.History[len(t.s.History)-tunnelHistory:]
	}
}

func (t *tunnelState) fail(at time.Time, state string, reason msg.Text) {
	t.s.State = state
	t.s.LastError, t.s.LastErrorJA = reason.EN, reason.OwnJA()
	a := at.UTC()
	t.s.LastErrorAt = &a
}

// inboundTUN is the TUN device the firewall guards: the PPPoE session's or
// the fixed-IP tunnel's ("" for neither).
func inboundTUN(cfg *config.Config) string {
	switch {
	case cfg.PPPoE != nil:
		return cfg.PPPoE.TUN
	case cfg.Tunnel != nil:
		return cfg.Tunnel.TUN
	}
	return ""
}

// superviseTunnel runs the fixed-IP tunnel, restarting it with backoff when
// it gives up, until ctx ends.
func (d *daemon) superviseTunnel(ctx context.Context) error {
	tc := d.cfg.Tunnel
	block := tc.IPv4Block()
	ts := &tunnelState{s: TunnelStatus{State: "starting", Interface: d.cfg.Interface, TUN: tc.TUN,
		BR: tc.BRAddr().String(), MTU: tc.MTU, History: []TunnelStep{}}}
	for _, a := range tunnel.Addresses(block) {
		ts.s.Addresses = append(ts.s.Addresses, a.String())
	}
	d.st.SetTunnel(ts)
	var update func(context.Context, netip.Addr) error
	if tc.Update != nil {
		update = tunnelUpdater(tc, d.opts.Version, func(local netip.Addr) {
			ts.mu.Lock()
			ts.s.State = "updating"
			ts.mu.Unlock()
		})
	}
	cfg := tunnel.Config{
		Interface: d.cfg.Interface, BR: tc.BRAddr(), Block: block, Endpoint: tc.Endpoint,
		MTU: tc.MTU, TUN: tc.TUN, Table: tc.Table, StateDir: d.cfg.StateDir, Update: update,
		OnEvent: func(e tunnel.Event) { d.onTunnelEvent(ts, block, e) },
	}
	if d.opts.TunnelTiming != nil {
		d.opts.TunnelTiming(&cfg)
	}
	return d.supervise(ctx, func(ctx context.Context) error {
		if err := tunnel.Run(ctx, cfg); err != nil {
			return err
		}
		return errors.New("the tunnel stopped without a reason")
	}, func(err error) {
		ts.mu.Lock()
		ts.fail(time.Now(), "down", tunnelWhy(err, err.Error()))
		ts.note(time.Now(), msg.T("stopped: %v", "停止: %v", err))
		ts.mu.Unlock()
	}, msg.T("fixed-IP tunnel gave up; restarting it", "固定 IP トンネルが止まりました。起動し直します"))
}

// onTunnelEvent turns tunnel events into status, logs, the A record's
// address and systemd status.
func (d *daemon) onTunnelEvent(ts *tunnelState, block netip.Prefix, e tunnel.Event) {
	ts.mu.Lock()
	defer func() {
		ts.mu.Unlock()
		d.notify("STATUS=" + d.statusLine())
	}()
	at := e.Time.UTC()
	switch e.Kind {
	case tunnel.KindCleanup:
		msg.LogWarn(d.log, msg.T("tunnel cleanup", "トンネルの後片付けをしました"), "what", e.Reason)
	case tunnel.KindWaiting:
		ts.s.State = "waiting"
		ts.note(at, msg.T("waiting: %s", "待機中: %s", tunnelWhy(e.Err, e.Reason)))
		msg.LogWarn(d.log, msg.T("tunnel waiting for an IPv6 prefix", "トンネルは IPv6 プレフィックスを待っています"), "reason", tunnelWhy(e.Err, e.Reason))
	case tunnel.KindEndpoint:
		ts.s.Local, ts.s.Prefix = e.Local.String(), e.Prefix.String()
		ts.s.State = "checking"
		if e.Old.IsValid() {
			d.event(notify.TunnelEndpoint, map[string]string{"family": "ipv6", "old": e.Old.String(), "new": e.Local.String()})
			ts.note(at, msg.T("new prefix: end point %s -> %s", "新しいプレフィックス: 端点 %s → %s", e.Old, e.Local))
			msg.LogWarn(d.log, msg.T("IPv6 prefix changed: new tunnel end point", "IPv6 プレフィックスが変わり、トンネルの端点が変わりました"), "old", e.Old.String(), "new", e.Local.String(), "prefix", e.Prefix.String())
		} else {
			ts.note(at, msg.T("end point %s", "端点 %s", e.Local))
			msg.LogInfo(d.log, msg.T("tunnel end point added", "トンネルの端点を追加しました"), "local", e.Local.String(), "prefix", e.Prefix.String())
		}
	case tunnel.KindUpdate:
		ts.s.LastUpdate, ts.s.LastUpdateResult = &at, e.State
		if e.State == "ok" {
			ts.s.State = "checking"
			ts.note(at, msg.T("update URL called from %s: ok", "%s から更新 URL を呼び出し: 成功", e.Local))
			msg.LogInfo(d.log, msg.T("tunnel update URL called", "トンネルの更新 URL を呼び出しました"), "local", e.Local.String())
		} else {
			d.tunnelDown(ts, "update: "+e.Reason)
			ts.fail(at, "failing", msg.T("update: %s", "更新: %s", tunnelWhy(e.Err, e.Reason)))
			ts.note(at, msg.T("update failed (retry in %s): %s", "更新に失敗（%s 後に再試行）: %s", e.RetryIn, tunnelWhy(e.Err, e.Reason)))
			msg.LogWarn(d.log, msg.T("tunnel update URL failed", "トンネルの更新 URL の呼び出しに失敗しました"), "err", tunnelWhy(e.Err, e.Reason), "retry_in", e.RetryIn.String())
		}
	case tunnel.KindUp:
		d.event(notify.TunnelUp, map[string]string{"family": "ipv4", "address": block.Addr().String(), "local": e.Local.String()})
		ts.s.State = "up"
		ts.s.VerifiedAt = &at
		ts.note(at, msg.T("up: the BR answers through the tunnel", "接続: BR がトンネル越しに応答"))
		d.setDDNSAddress(block.Addr())
		msg.LogInfo(d.log, msg.T("fixed-IP tunnel up", "固定 IP トンネルがつながりました"), "local", e.Local.String(), "br", ts.s.BR, "ipv4", block.String())
		go d.warned.check(d)
	case tunnel.KindVerify:
		d.tunnelDown(ts, e.Reason)
		ts.fail(at, "failing", tunnelWhy(e.Err, e.Reason))
		ts.note(at, msg.T("check failed (retry in %s): %s", "確認に失敗（%s 後に再試行）: %s", e.RetryIn, tunnelWhy(e.Err, e.Reason)))
		msg.LogWarn(d.log, msg.T("fixed-IP tunnel check failed", "固定 IP トンネルの確認に失敗しました"), "err", tunnelWhy(e.Err, e.Reason), "retry_in", e.RetryIn.String())
	}
}

// tunnelDown sends tunnel_down on the first failure after the tunnel
// worked (ts locked).
func (d *daemon) tunnelDown(ts *tunnelState, reason string) {
	if ts.s.VerifiedAt != nil && ts.s.State != "failing" {
		d.event(notify.TunnelDown, map[string]string{"family": "ipv4", "reason": reason})
	}
}

// tunnelUpdater calls the provider's update URL from the tunnel's new end
// point, as routers do (the provider may note the address the call comes
// from). The password is read from its file at each call; errors and logs
// show the URL with "xxxxx" in its place.
func tunnelUpdater(tc *config.Tunnel, version string, starting func(netip.Addr)) func(context.Context, netip.Addr) error {
	return func(ctx context.Context, local netip.Addr) error {
		starting(local)
		pw, err := tc.UpdatePassword()
		if err != nil {
			return err
		}
		full, shown := tc.UpdateURL(local, pw), tc.RedactedUpdateURL(local)
		scrub := func(s string) string {
			s = strings.ReplaceAll(s, full, shown)
			if pw != "" {
				s = strings.ReplaceAll(s, url.QueryEscape(pw), "xxxxx")
				s = strings.ReplaceAll(s, pw, "xxxxx")
			}
			return s
		}
		dialer := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: local.AsSlice()}}
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext}}
		defer client.CloseIdleConnections()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, full, nil)
		if err != nil {
			return errors.New(scrub(err.Error()))
		}
		req.Header.Set("User-Agent", "dualpath/"+version)
		resp, err := client.Do(req)
		if err != nil {
			why := msg.ErrorText(errors.Unwrap(err))
			why = msg.Text{EN: scrub(why.EN), JA: scrub(why.JA)}
			return msg.Err(msg.T("calling %s from %s: %s", "%[2]s から %[1]s を呼び出せません: %[3]s", shown, local, why))
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return msg.Err(msg.T("%s answered %s", "%s の答え: %s", shown, msg.CodeText(msg.HTTPCode(resp.StatusCode), resp.Status)))
		}
		return nil
	}
}

// tunnelStatusText is the one line systemd shows for the tunnel.
func (d *daemon) tunnelStatusText(s *Status) msg.Text {
	t := s.Tunnel
	if t == nil {
		return msg.T("fixed-IP tunnel starting", "固定 IP トンネル起動中")
	}
	state := msg.Text{EN: t.State, JA: tunnelStateText(t.State).JA}
	switch t.State {
	case "up":
		return msg.T("tunnel up: %s on %s via %s, firewall on", "トンネル接続中: %s（%s、%s 経由）、ファイアウォール有効",
			strings.Join(t.Addresses, ","), t.TUN, t.Local)
	case "failing", "down", "waiting":
		return msg.T("tunnel %s (%s), firewall on", "トンネル%s（%s）、ファイアウォール有効", state, msg.Text{EN: t.LastError, JA: t.LastErrorJA})
	}
	return msg.T("tunnel %s, firewall on", "トンネル%s、ファイアウォール有効", state)
}

// tunnelWhy is why the tunnel failed in both languages: err's text
// (msg.ErrorText; the BR's silence said here), or reason when there is no
// error.
func tunnelWhy(err error, reason string) msg.Text {
	switch {
	case err == nil:
		return msg.Same(reason)
	case errors.Is(err, dataplane.ErrNoProbeBack):
		return msg.T("the border relay did not send the probe back through the tunnel",
			"BR がトンネル越しに確認用のパケットを返しませんでした")
	}
	return msg.ErrorText(err)
}

// writeTunnelText is the tunnel block of `dualpath status`.
func writeTunnelText(t *TunnelStatus, line func(string, msg.Text), ago func(time.Time) msg.Text) {
	addrs := strings.Join(t.Addresses, " ")
	if len(t.Addresses) > 2 {
		addrs = t.Addresses[0] + " ... " + t.Addresses[len(t.Addresses)-1]
	}
	line("tunnel", msg.T("%s: %s on %s, IPv4-in-IPv6 %s -> BR %s", "%s: %s（%s）、IPv4-in-IPv6 %s → BR %s",
		tunnelStateText(t.State), addrs, t.TUN, orNone(t.Local), t.BR))
	if t.VerifiedAt != nil {
		line("", msg.T("BR answered %s", "BR の応答 %s", ago(*t.VerifiedAt)))
	}
	if t.LastUpdate != nil {
		res := msg.T("ok", "成功")
		if t.LastUpdateResult != "ok" {
			res = msg.T("failed", "失敗")
		}
		line("", msg.T("update URL %s: %s", "更新 URL %s: %s", ago(*t.LastUpdate), res))
	}
	if t.LastError != "" && t.State != "up" {
		line("", msg.T("last error: %s", "最後のエラー: %s", msg.Text{EN: t.LastError, JA: t.LastErrorJA}))
	}
	for _, h := range t.History {
		line("", msg.T("%s %s", "%s %s", h.At.Local().Format("15:04:05"), msg.Text{EN: h.What, JA: h.JA}))
	}
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func tunnelStateText(s string) msg.Text {
	switch s {
	case "up":
		return msg.T("up", "接続中")
	case "waiting":
		return msg.T("waiting for an IPv6 prefix", "IPv6 プレフィックス待ち")
	case "updating":
		return msg.T("calling the update URL", "更新 URL を呼び出し中")
	case "checking":
		return msg.T("checking the BR", "BR を確認中")
	case "failing":
		return msg.T("not answering", "応答なし")
	case "down":
		return msg.T("down", "停止")
	}
	return msg.T("starting", "起動中")
}

// writeTunnelMetrics adds the fixed-IP tunnel's gauges (with a tunnel
// section only).
func writeTunnelMetrics(m *metricWriter, st *State) {
	st.mu.Lock()
	f := st.tunnel
	st.mu.Unlock()
	if f == nil {
		return
	}
	t := f.Tunnel()
	up := 0.0
	if t.State == "up" {
		up = 1
	}
	m.sample("dualpath_tunnel_up", "gauge", "1 while the fixed-IP tunnel's BR answers, else 0.", up)
	if t.VerifiedAt != nil {
		m.sample("dualpath_tunnel_last_verified_timestamp_seconds", "gauge", "When the BR last sent the tunnel's probe back (Unix time).", float64(t.VerifiedAt.Unix()))
	}
	if t.LastUpdate != nil {
		ok := 0.0
		if t.LastUpdateResult == "ok" {
			ok = 1
		}
		m.sample("dualpath_tunnel_last_update_ok", "gauge", "1 when the provider's update URL answered 2xx at the last call.", ok)
	}
}
