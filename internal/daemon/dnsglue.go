package daemon

import (
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/ddns"
)

// dnsView turns the updater's per-record status into status entries, one
// per published family (a DNSSource).
type dnsView struct{ u *ddns.Updater }

// DNSStatus is the records as `dualpath status` shows them.
func (v dnsView) DNSStatus() []DNSStatus {
	u := v.u
	var out []DNSStatus
	for _, r := range u.Status() {
		name := r.Name
		if name == "" {
			// MyDNS records have no name of their own: show the
			// account ("mydns mydns123456 A = ..."), not the provider twice.
			name = strings.TrimPrefix(r.Record, r.Provider+" ")
		}
		for _, f := range []struct{ family, source, value, problem, problemJA string }{
			{"A", r.IPv4Source, r.IPv4, r.IPv4Problem, r.IPv4ProblemJA}, {"AAAA", r.IPv6Source, r.IPv6, r.IPv6Problem, r.IPv6ProblemJA},
		} {
			if f.source == "" || f.source == "none" {
				continue
			}
			e := DNSStatus{Provider: r.Provider, Name: name, Family: f.family, Source: f.source, Value: f.value,
				LastUpdate: timePtr(r.LastUpdate), NextKeepalive: timePtr(r.NextKeepalive), LastError: r.LastError, LastErrorCode: r.LastErrorCode, LastErrorJA: r.LastErrorJA, Problem: f.problem, ProblemJA: f.problemJA,
				Check: r.Check, CheckSent: r.CheckOutcome.Sent, CheckWhere: r.CheckOutcome.Where,
				CheckAt: timePtr(r.CheckOutcome.At), CheckWhy: r.CheckOutcome.Why, CheckWhyJA: r.CheckOutcome.WhyJA}
			out = append(out, e)
		}
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
