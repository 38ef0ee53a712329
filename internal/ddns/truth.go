package ddns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/dnsauth"
	"github.com/dualpath/dualpath/internal/msg"
)

// DNS truth over the local cache: before deciding that a record is
// unchanged, the updater compares the addresses it would publish with what
// the DNS really holds, so that a record lost at the provider (a zone
// restored from a backup, an account re-created, a hand edit) is published
// again instead of trusting the state file until the next keepalive.
// RFC 2136: the server itself; Cloudflare: the API's record; MyDNS, DuckDNS,
// dyndns2: the name's authoritative servers (internal/dnsauth).

// Published is what the authoritative source holds for a record's name.
type Published struct {
	IPv4, IPv6 []netip.Addr
	Where      string // the server or API that answered
}

// TruthMinInterval spaces the checks of one record in the daemon (address
// events may come in bursts); `ddns --once` and the first pass always check.
const TruthMinInterval = 30 * time.Second

// Propagation is how long after an accepted update a provider that
// publishes asynchronously (through its own DNS servers) is given before
// an authoritative answer that still shows the old address counts as a
// lost record: a re-send before then would only hammer the provider.
func propagation(prov Provider) time.Duration {
	switch prov.(type) {
	case *MyDNS, *DuckDNS, *DynDNS2:
		return 10 * time.Minute
	}
	return 0
}

// errNotVerifiable says why a record cannot be compared with the DNS.
type errNotVerifiable struct{ why msg.Text }

func (e *errNotVerifiable) Error() string           { return e.why.EN }
func (e *errNotVerifiable) In(lang msg.Lang) string { return e.why.In(lang) }

// published asks the authoritative source of r's name for the families
// wanted.
func (u *Updater) published(ctx context.Context, r *record, v4, v6 bool) (Published, error) {
	switch p := r.prov.(type) {
	case *RFC2136:
		var out Published
		var err error
		if v4 {
			if out.IPv4, err = p.Lookup(ctx, dns.TypeA); err != nil {
				return out, err
			}
		}
		if v6 {
			if out.IPv6, err = p.Lookup(ctx, dns.TypeAAAA); err != nil {
				return out, err
			}
		}
		out.Where = p.server()
		return out, nil
	case *Cloudflare:
		return p.published(ctx, v4, v6)
	}
	name := r.dnsName()
	if name == "" {
		return Published{}, &errNotVerifiable{msg.T("no DNS name: set name: to the record's full name to have it checked",
			"DNS の名前がありません。確認するには name: にレコードの完全な名前を書いてください")}
	}
	servers, err := dnsauth.Find(ctx, u.opts.Resolver, u.opts.AuthPort, name)
	if err != nil {
		return Published{}, err
	}
	ans, err := dnsauth.Lookup(ctx, servers, name, v4, v6)
	return Published{IPv4: ans.IPv4, IPv6: ans.IPv6, Where: ans.Server.String()}, err
}

// dnsName is the full DNS name a MyDNS, DuckDNS or dyndns2 record publishes
// ("" when the config does not say).
func (r *record) dnsName() string {
	switch p := r.prov.(type) {
	case *DuckDNS:
		return p.domain() + ".duckdns.org"
	case *DynDNS2:
		return p.Hostname
	}
	return r.cfg.Name
}

// published reads the A/AAAA records of c.Name from the API.
func (c *Cloudflare) published(ctx context.Context, v4, v6 bool) (Published, error) {
	out := Published{Where: strings.TrimPrefix(strings.TrimPrefix(def(c.BaseURL, CloudflareURL), "https://"), "http://")}
	err := c.eachType(ctx, v4, v6, func(_, typ string, recs []CloudflareRecord) error {
		dst := &out.IPv4
		if typ == "AAAA" {
			dst = &out.IPv6
		}
		for _, rec := range recs {
			if a, err := netip.ParseAddr(rec.Content); err == nil {
				*dst = append(*dst, a)
			}
		}
		slices.SortFunc(*dst, netip.Addr.Compare)
		return nil
	})
	return out, err
}

// truth is the outcome of a record's last comparison with the DNS.
type truth struct {
	at    time.Time // when asked
	where string    // who answered
	took  time.Duration
	err   msg.Text // not verifiable: why
	sent  bool     // the last pass sent the record
}

// CheckOutcome is what the last check of a record did, typed for
// callers that word it themselves (daemon status in Japanese).
type CheckOutcome struct {
	Sent  bool      // the record was sent
	Where string    // unchanged: the server or API that was asked
	At    time.Time // when
	Why   string    // unchanged but not verifiable: why
	WhyJA string    // Why in Japanese
}

func (t truth) outcome() CheckOutcome {
	return CheckOutcome{Sent: t.sent, Where: t.where, At: t.at, Why: t.err.EN, WhyJA: t.err.JA}
}

// Verdict says what the last pass did: "sent", "unchanged (checked at
// ns1.example.net 0.2 s ago)" or "unchanged (not verifiable: ...)".
func (t truth) verdict(now time.Time) string {
	switch {
	case t.sent:
		return "sent"
	case !t.err.IsZero():
		return "unchanged (not verifiable: " + t.err.EN + ")"
	case t.where != "":
		return fmt.Sprintf("unchanged (checked at %s %s ago)", t.where, agoText(now.Sub(t.at)))
	}
	return ""
}

// Text is the outcome as Verdict says it, in both languages ("" when
// nothing was checked yet).
func (o CheckOutcome) Text(now time.Time) msg.Text {
	switch {
	case o.Sent:
		return msg.T("sent", "送信しました")
	case o.Why != "":
		return msg.T("unchanged (not verifiable: %s)", "変更なし（確認できず: %s）", msg.Text{EN: o.Why, JA: o.WhyJA})
	case o.Where != "":
		return msg.T("unchanged (checked at %s %s ago)", "変更なし（%s で %s 前に確認）", o.Where, agoText(now.Sub(o.At)))
	}
	return msg.Text{}
}

func agoText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// checkTruth compares what r would publish (the fresh families of f4, f6)
// with the DNS. It returns a reason to send when they differ, the empty
// text when they agree or the DNS cannot be asked (recorded in r.truth
// either way).
func (u *Updater) checkTruth(ctx context.Context, r *record, f4, f6 resolved, force bool) msg.Text {
	now := u.opts.Now()
	u.mu.Lock()
	last := r.truth
	u.mu.Unlock()
	if !force && !last.at.IsZero() && !last.sent && now.Sub(last.at) < TruthMinInterval {
		return msg.Text{}
	}
	if d := propagation(r.prov); d > 0 && !r.st.LastUpdate.IsZero() && now.Sub(r.st.LastUpdate) < d && !force {
		return msg.Text{} // the provider may still be publishing the last update
	}
	// A family whose address the updater does not know (a "seen" source:
	// the provider records where the request came from) cannot be
	// compared.
	v4, v6 := f4.fresh && f4.addr.IsValid(), f6.fresh && f6.addr.IsValid()
	if !v4 && !v6 {
		return msg.Text{}
	}
	start := time.Now()
	p, err := u.published(ctx, r, v4, v6)
	t := truth{at: now, took: time.Since(start), where: p.Where}
	defer func() {
		u.mu.Lock()
		r.truth = t
		u.mu.Unlock()
	}()
	if err != nil {
		var nv *errNotVerifiable
		why := scrubText(err, r.secrets)
		if !errors.As(err, &nv) {
			why = msg.T("the DNS did not answer: %s", "DNS が応答しません: %s", why)
		}
		t.err, t.where = why, ""
		u.log.Debug("ddns record not verifiable", "record", r.label, "why", why.EN)
		return msg.Text{}
	}
	var diffs []msg.Text
	if v4 && !(len(p.IPv4) == 1 && p.IPv4[0] == f4.addr) {
		diffs = append(diffs, msg.T("A is %s, not %s", "A が %s（%s ではない）", addrsText(p.IPv4), f4.addr))
	}
	if v6 && !(len(p.IPv6) == 1 && p.IPv6[0] == f6.addr) {
		diffs = append(diffs, msg.T("AAAA is %s, not %s", "AAAA が %s（%s ではない）", addrsText(p.IPv6), f6.addr))
	}
	if len(diffs) == 0 {
		return msg.Text{}
	}
	return msg.T("%s answers: %s", "%s の答え: %s", p.Where, msg.Join(diffs, msg.Comma))
}

// addrsText is the addresses of a record, or that it has none.
func addrsText(as []netip.Addr) msg.Text {
	if len(as) == 0 {
		return msg.T("missing", "なし")
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return msg.Same(strings.Join(s, " "))
}
