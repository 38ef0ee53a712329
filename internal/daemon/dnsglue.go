package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/ddns"
)

// dnsView turns the updater's per-record status into status entries, one
// per published family.
func dnsView(u *ddns.Updater) func() []DNSStatus {
	return func() []DNSStatus {
		var out []DNSStatus
		for _, r := range u.Status() {
			name := r.Name
			if name == "" {
				// MyDNS records have no name of their own: show the
				// account ("mydns mydns123456 A = ..."), not the provider twice.
				name = strings.TrimPrefix(r.Record, r.Provider+" ")
			}
			for _, f := range []struct{ family, source, value, problem string }{
				{"A", r.IPv4Source, r.IPv4, r.IPv4Problem}, {"AAAA", r.IPv6Source, r.IPv6, r.IPv6Problem},
			} {
				if f.source == "" || f.source == "none" {
					continue
				}
				e := DNSStatus{Provider: r.Provider, Name: name, Family: f.family, Source: f.source, Value: f.value,
					LastUpdate: timePtr(r.LastUpdate), NextKeepalive: timePtr(r.NextKeepalive), LastError: r.LastError, Problem: f.problem,
					Check: r.Check, CheckSent: r.CheckOutcome.Sent, CheckWhere: r.CheckOutcome.Where,
					CheckAt: timePtr(r.CheckOutcome.At), CheckWhy: r.CheckOutcome.Why}
				out = append(out, e)
			}
		}
		return out
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// countDNS derives per-provider update and failure counts for the metrics
// from the updater's record status, checked every second: an advanced
// last-update time is one update, a grown failure count is that many
// failures. (Updates are minutes apart, so a one-second look misses none.)
func (d *daemon) countDNS(ctx context.Context, u *ddns.Updater) {
	type seen struct {
		last     time.Time
		failures int
	}
	prev := map[string]seen{}
	for _, r := range u.Status() { // what was persisted before this start is not counted
		prev[r.Record] = seen{r.LastUpdate, r.Failures}
		d.st.DeclareProvider(r.Provider)
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range u.Status() {
			p := prev[r.Record]
			if r.LastUpdate.After(p.last) {
				d.st.CountDNS(r.Provider, true, r.LastUpdate)
			}
			switch {
			case r.Failures > p.failures:
				for i := p.failures; i < r.Failures; i++ {
					d.st.CountDNS(r.Provider, false, time.Time{})
				}
			case r.Failures < p.failures && r.Failures > 0:
				for i := 0; i < r.Failures; i++ {
					d.st.CountDNS(r.Provider, false, time.Time{})
				}
			}
			prev[r.Record] = seen{r.LastUpdate, r.Failures}
		}
	}
}
