package daemon

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
	"github.com/dualpath/dualpath/internal/reach"
)

// The daemon's reachability check (package reach, `dualpath check`): after
// every change of the addresses visitors should use, and every
// check.interval (jittered), the last result per family and port is kept
// for status and metrics, and losses and recoveries are reported as events.

// ReachStatus is the last check, as status shows it.
//
//	"reach": {
//	  "checked_at": "2026-12-03T08:00:00Z", "name": "www.example.jp", "ok": true,
//	  "paths": [{"family": "ipv4", "port": 443, "status": "ok", "reachable": true,
//	             "cause": "reachable, HTTP 200, ...", "cert_not_after": "2027-..."}],
//	  "dns": [{"family": "ipv4", "status": "ok", "cause": ""}]
//	}
type ReachStatus struct {
	CheckedAt time.Time   `json:"checked_at"`
	Name      string      `json:"name"`
	OK        bool        `json:"ok"`
	Paths     []ReachPath `json:"paths"`
	DNS       []ReachDNS  `json:"dns"`
}

// ReachPath is one family and port of the last check.
type ReachPath struct {
	Family       string     `json:"family"`
	Port         uint16     `json:"port"`
	Status       string     `json:"status"`
	Reachable    bool       `json:"reachable"`
	Cause        string     `json:"cause,omitempty"`
	CauseJA      string     `json:"cause_ja,omitempty"` // the cause in Japanese, for status in a Japanese locale
	CertNotAfter *time.Time `json:"cert_not_after,omitempty"`
}

// ReachDNS is one family's DNS line of the last check.
type ReachDNS struct {
	Family  string `json:"family"`
	Status  string `json:"status"`
	Cause   string `json:"cause,omitempty"`
	CauseJA string `json:"cause_ja,omitempty"` // the cause in Japanese
}

// Check timing defaults (the interval itself is config.Check.Interval).
const (
	// defaultCheckSettle is how long after an address change the check
	// waits, so that the DNS update has reached the authoritative servers.
	defaultCheckSettle = 30 * time.Second
	// defaultCheckPoll is how often the expected addresses are compared
	// with the last ones checked (in memory, no network).
	defaultCheckPoll = 5 * time.Second
	// checkRunTimeout bounds one check.
	checkRunTimeout = 90 * time.Second
)

// ExpectedAddrs are the addresses visitors should reach, from a status:
// the session's IPv4 while it is up, or the fixed-IP tunnel's first
// address while it answers (else the A value published, as in two-router
// mode) and the published AAAA value (the stable IPv6).
func ExpectedAddrs(st *Status) (v4, v6 netip.Addr) {
	if a, err := netip.ParseAddr(st.Session.Address); err == nil && st.Session.State == StateUp {
		v4 = a
	}
	if t := st.Tunnel; t != nil && t.State == "up" && len(t.Addresses) > 0 {
		if a, err := netip.ParseAddr(t.Addresses[0]); err == nil {
			v4 = a
		}
	}
	for _, d := range st.DNS {
		a, err := netip.ParseAddr(d.Value)
		if err != nil {
			continue
		}
		switch {
		case d.Family == "A" && !v4.IsValid() && a.Is4():
			v4 = a
		case d.Family == "AAAA" && !v6.IsValid() && a.Is6():
			v6 = a
		}
	}
	return v4, v6
}

// reachBox holds the last result for status and metrics.
type reachBox struct {
	mu   sync.Mutex
	last *ReachStatus
}

// Reach is the last check from outside (a ReachSource).
func (b *reachBox) Reach() *ReachStatus { return b.get() }

func (b *reachBox) get() *ReachStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		return nil
	}
	c := *b.last
	return &c
}

func (b *reachBox) set(r *ReachStatus) {
	b.mu.Lock()
	b.last = r
	b.mu.Unlock()
}

// reachFromReport keeps what status and metrics show of a report.
func reachFromReport(r *reach.Report) *ReachStatus {
	s := &ReachStatus{CheckedAt: r.Time, Name: r.Name, OK: r.OK(), Paths: []ReachPath{}, DNS: []ReachDNS{}}
	for _, p := range r.Paths {
		rp := ReachPath{Family: string(p.Family), Port: p.Port, Status: string(p.Status), Reachable: p.Reachable(), Cause: p.Cause.EN, CauseJA: p.Cause.JA}
		for _, v := range p.Views {
			if v.Result != nil && v.Result.TLS != nil && !v.Result.TLS.NotAfter.IsZero() {
				t := v.Result.TLS.NotAfter
				rp.CertNotAfter = &t
				break
			}
		}
		s.Paths = append(s.Paths, rp)
	}
	for _, d := range r.DNS {
		s.DNS = append(s.DNS, ReachDNS{Family: string(d.Family), Status: string(d.Status), Cause: d.Cause.EN, CauseJA: d.Cause.JA})
	}
	return s
}

// jitter spreads an interval by ±10% (crypto/rand), so that many servers
// checking through one prober do not come in step.
func jitter(d time.Duration) time.Duration {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return d
	}
	f := float64(binary.LittleEndian.Uint64(b[:])>>11) / float64(1<<53) // [0,1)
	return time.Duration(float64(d) * (0.9 + 0.2*f))
}

// runReach is the check loop; it returns when ctx ends.
func (d *daemon) runReach(ctx context.Context) {
	if d.cfg.Check == nil {
		d.st.SetComponent("check", false, msg.T("no check section in the config (dualpath check still works by hand)",
			"設定に check のセクションがありません（dualpath check は手で実行できます）"))
		return
	}
	k := d.cfg.CheckSettings()
	settle, poll := d.opts.CheckSettle, d.opts.CheckPoll
	if settle == 0 {
		settle = defaultCheckSettle
	}
	if poll == 0 {
		poll = defaultCheckPoll
	}
	d.st.SetComponent("check", true, msg.Text{})
	var last4, last6 netip.Addr
	var due time.Time
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		now := time.Now()
		v4, v6 := d.st.Expected()
		if (v4.IsValid() || v6.IsValid()) && (v4 != last4 || v6 != last6) {
			last4, last6 = v4, v6
			due = now.Add(settle) // an address change: check once DNS has it
		}
		if !due.IsZero() && !now.Before(due) {
			d.checkOnce(ctx, v4, v6)
			due = time.Now().Add(jitter(k.Interval))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkOnce runs one check and records it.
func (d *daemon) checkOnce(ctx context.Context, v4, v6 netip.Addr) {
	tgt, err := reach.TargetFrom(d.cfg, v4, v6, config.ReadSecret)
	if err != nil {
		msg.LogWarn(d.log, msg.T("reachability check not run", "外から届くかの確認を実行できませんでした"), "err", err)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, checkRunTimeout)
	rep := reach.Run(cctx, tgt, reach.EnvFor(d.cfg))
	cancel()
	if ctx.Err() != nil {
		return
	}
	now := reachFromReport(rep)
	prev := d.reach.get()
	d.reach.set(now)
	for _, p := range now.Paths {
		if p.Status != string(reach.OK) {
			msg.LogWarn(d.log, msg.T("not reachable from outside", "外から届きません"), "family", p.Family, "port", p.Port, "status", p.Status, "cause", msg.Text{EN: p.Cause, JA: p.CauseJA})
		}
	}
	if now.OK {
		msg.LogInfo(d.log, msg.T("reachable from outside", "外から届きます"), "name", now.Name, "paths", len(now.Paths))
	}
	d.reachEvents(prev, now)
}

// reachEvents reports what changed per family since the previous check:
// reachability lost or regained (a family is reachable when every checked
// port of it is), and certificates close to expiry.
func (d *daemon) reachEvents(prev, now *ReachStatus) {
	for _, fam := range []string{string(reach.IPv4), string(reach.IPv6)} {
		was, wasKnown := familyReachable(prev, fam)
		is, known := familyReachable(now, fam)
		if !known {
			continue
		}
		switch {
		case (!wasKnown || was) && !is:
			d.event(notify.ReachLost, map[string]string{"family": fam, "cause": firstCause(now, fam)})
		case wasKnown && !was && is:
			d.event(notify.ReachRegained, map[string]string{"family": fam})
		}
	}
	for _, p := range now.Paths {
		// Once per certificate: not again at every check while it stays
		// the same one, close to expiry.
		if p.CertNotAfter != nil && p.CertNotAfter.Sub(now.CheckedAt) < reach.ExpiryWarning && !toldExpiring(prev, p) {
			days := int(p.CertNotAfter.Sub(now.CheckedAt).Hours() / 24)
			d.event(notify.CertExpiring, map[string]string{"family": p.Family, "port": strconv.Itoa(int(p.Port)),
				"not_after": p.CertNotAfter.UTC().Format(time.RFC3339), "days_left": strconv.Itoa(days)})
		}
	}
}

// toldExpiring reports whether the previous check already saw the same
// certificate close to expiry on the same family and port.
func toldExpiring(prev *ReachStatus, p ReachPath) bool {
	if prev == nil {
		return false
	}
	for _, q := range prev.Paths {
		if q.Family == p.Family && q.Port == p.Port && q.CertNotAfter != nil && q.CertNotAfter.Equal(*p.CertNotAfter) &&
			q.CertNotAfter.Sub(prev.CheckedAt) < reach.ExpiryWarning {
			return true
		}
	}
	return false
}

// familyReachable: whether every checked port of fam answered; known is
// false when no port of it was checked (skipped, or no previous check).
func familyReachable(s *ReachStatus, fam string) (ok, known bool) {
	if s == nil {
		return false, false
	}
	ok = true
	for _, p := range s.Paths {
		if p.Family != fam || p.Status == string(reach.Skip) {
			continue
		}
		known = true
		ok = ok && p.Reachable
	}
	return ok, known
}

func firstCause(s *ReachStatus, fam string) string {
	for _, p := range s.Paths {
		if p.Family == fam && !p.Reachable && p.Status != string(reach.Skip) {
			return p.Cause
		}
	}
	return ""
}

// writeReach prints the last check in status's text.
func (s *Status) writeReach(line func(label string, t msg.Text), ago func(time.Time) msg.Text) {
	r := s.Reach
	if r == nil {
		return
	}
	verdict := msg.T("all paths answer", "すべての経路で到達可能")
	if !r.OK {
		verdict = msg.T("problems seen", "問題あり")
	}
	line("reach", msg.T("%s from outside, checked %s: %s", "%s を外から確認（%s）: %s", r.Name, ago(r.CheckedAt), verdict))
	for _, p := range r.Paths {
		c := msg.Text{EN: p.Cause, JA: p.CauseJA}
		line("", msg.T("%s port %d: %s %s", "%s ポート %d: %s %s", familyName(p.Family), p.Port, p.Status, c))
	}
	for _, dn := range r.DNS {
		if dn.Status == string(reach.Fail) {
			line("", msg.T("DNS %s: %s", "DNS %s: %s", familyName(dn.Family), msg.Text{EN: dn.Cause, JA: dn.CauseJA}))
		}
	}
}

func familyName(f string) string { return reach.Family(f).Name() }

// writeReachMetrics exports the last reachability check (metrics.go).
func writeReachMetrics(m *metricWriter, st *State, now time.Time) {
	r := st.reachStatus()
	if r == nil {
		return
	}
	m.sample("dualpath_reach_last_check_timestamp_seconds", "gauge", "When the last reachability check ran (Unix time).", float64(r.CheckedAt.Unix()))
	for _, p := range r.Paths {
		if p.Status == string(reach.Skip) {
			continue
		}
		v := 0.0
		if p.Reachable {
			v = 1
		}
		port := fmt.Sprint(p.Port)
		m.sample("dualpath_reachable", "gauge", "1 when the last check reached the port from outside over the family, else 0.", v, "family", p.Family, "port", port)
		if p.CertNotAfter != nil {
			m.sample("dualpath_tls_cert_expiry_seconds", "gauge", "Seconds until the certificate seen on the port expires (negative: expired), at the last check.",
				p.CertNotAfter.Sub(now).Seconds(), "family", p.Family, "port", port)
		}
	}
}
