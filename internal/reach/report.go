// Package reach is `dualpath check`: whether a visitor on the internet
// reaches the site over IPv4 and over IPv6, seen from outside. For each
// family it compares what the name's authoritative DNS servers answer with
// the addresses the site should have (the PPPoE session's, the stable
// IPv6), and for each exposed TCP port and family it asks `dualpath
// probe-serve` services (package probeserve) to connect back to exactly the
// address visitors use, with the site's Host and TLS name. Each line of the
// report names the likely cause of a failure.
//
// The JSON report (`dualpath check --json`), version 1:
//
//	{
//	  "version": 1,
//	  "name": "www.example.jp",
//	  "time": "2026-12-03T08:00:00Z",
//	  "ok": false,                      // every expected path answers
//	  "dns": [                          // one per family
//	    {"family": "ipv4", "status": "ok", "want": "203.0.113.7",
//	     "got": ["203.0.113.7"], "server": "192.0.2.53:53",
//	     "cause": ""}                   // English; the text report is en or ja
//	  ],
//	  "paths": [                        // one per family and exposed TCP port
//	    {"family": "ipv6", "port": 80, "status": "fail",
//	     "address": "2001:db8:12:3401::10",
//	     "cause": "IPv6 port 80 filtered before reaching the server: the router's IPv6 filter?",
//	     "days_left": 0,                // TLS ports: days until the certificate expires
//	     "views": [                     // what each vantage point saw
//	       {"via": "https://probe.example.net:8443",
//	        "result": {"port": 80, "state": "filtered", "detail": "no answer (timed out)"}},
//	       {"via": "https://other.example", "error": "prober ... refused: 401 ...",
//	        "not_checked": true},     // it could not look (refused, rate limit)
//	       {"via": "mape", "result": {...}}  // IPv4: a SYN from this server by
//	                                  // its MAP-E path (package mapepath)
//	     ]}
//	  ]
//	}
//
// "status" is ok, warn (works, but look: a certificate expiring within 14
// days), fail, or skip (not checked: the family is not published, or no
// vantage point is configured). Exit status of `dualpath check`: 0 when
// nothing failed, 1 when something did, 2 on usage errors.
package reach

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/portprobe"
)

// SchemaVersion is the JSON report's "version".
const SchemaVersion = 1

// ExpiryWarning is how close a certificate's expiry makes a TLS port warn.
const ExpiryWarning = 14 * 24 * time.Hour

// Family is an IP version as reports name it.
type Family string

// The two families.
const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

// Name is "IPv4" or "IPv6", for text.
func (f Family) Name() string {
	if f == IPv6 {
		return "IPv6"
	}
	return "IPv4"
}

// Status is the outcome of one line.
type Status string

// Outcomes, best first.
const (
	OK   Status = "ok"
	Skip Status = "skip"
	Warn Status = "warn"
	Fail Status = "fail"
)

// DNSResult is what the authoritative servers answer for one family.
type DNSResult struct {
	Family Family       `json:"family"`
	Status Status       `json:"status"`
	Want   netip.Addr   `json:"want,omitzero"`
	Got    []netip.Addr `json:"got"`
	Server string       `json:"server,omitempty"`
	Cause  msg.Text     `json:"-"`
}

// View is one vantage point's look at one port.
type View struct {
	Via        string            `json:"via"`
	Result     *portprobe.Result `json:"result,omitempty"`
	Error      string            `json:"error,omitempty"`
	ErrorCode  string            `json:"error_code,omitempty"`  // Error's kind (msg.CodeOf)
	NotChecked bool              `json:"not_checked,omitempty"` // it could not look (a prober refused: token, rate limit; no raw socket)
}

// PathResult is one family and port.
type PathResult struct {
	Family   Family     `json:"family"`
	Port     uint16     `json:"port"`
	Status   Status     `json:"status"`
	Address  netip.Addr `json:"address,omitzero"`
	Cause    msg.Text   `json:"-"`
	DaysLeft *int       `json:"days_left,omitempty"`
	Views    []View     `json:"views"`
}

// Report is one check.
type Report struct {
	Name  string       `json:"name"`
	Time  time.Time    `json:"time"`
	DNS   []DNSResult  `json:"dns"`
	Paths []PathResult `json:"paths"`
}

// OK reports whether nothing failed.
func (r *Report) OK() bool {
	for _, d := range r.DNS {
		if d.Status == Fail {
			return false
		}
	}
	for _, p := range r.Paths {
		if p.Status == Fail {
			return false
		}
	}
	return true
}

// Reachable is the verdict for one family and port, for status and
// metrics: true when its path answered (ok or warn).
func (p PathResult) Reachable() bool { return p.Status == OK || p.Status == Warn }

// JSONDNS is a DNS line as the JSON report carries it.
type JSONDNS struct {
	DNSResult
	Cause string `json:"cause,omitempty"`
}

// JSONPath is a family/port line as the JSON report carries it.
type JSONPath struct {
	PathResult
	Cause string `json:"cause,omitempty"`
}

// JSONReport is the JSON report (the schema above); readers of
// `dualpath check --json` (the lab) decode into it.
type JSONReport struct {
	Version int        `json:"version"`
	Name    string     `json:"name"`
	Time    time.Time  `json:"time"`
	OK      bool       `json:"ok"`
	DNS     []JSONDNS  `json:"dns"`
	Paths   []JSONPath `json:"paths"`
}

// MarshalJSON writes the documented schema (causes in English).
func (r *Report) MarshalJSON() ([]byte, error) {
	j := JSONReport{Version: SchemaVersion, Name: r.Name, Time: r.Time.UTC(), OK: r.OK(), DNS: []JSONDNS{}, Paths: []JSONPath{}}
	for _, d := range r.DNS {
		if d.Got == nil {
			d.Got = []netip.Addr{}
		}
		j.DNS = append(j.DNS, JSONDNS{d, d.Cause.EN})
	}
	for _, p := range r.Paths {
		if p.Views == nil {
			p.Views = []View{}
		}
		j.Paths = append(j.Paths, JSONPath{p, p.Cause.EN})
	}
	return json.Marshal(j)
}

// WriteJSON writes the report as one indented JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// mark is the status as the text report shows it.
func mark(s Status) string {
	return fmt.Sprintf("%-4s", string(s))
}

// WriteText writes one line per DNS family and per family/port, fitted to
// 80 columns, then the verdict.
func (r *Report) WriteText(w io.Writer, lang msg.Lang) {
	p := msg.Printer{W: w, Lang: lang}
	for _, d := range r.DNS {
		p.Hanging(mark(d.Status)+" ", "     ", d.line(r.Name))
	}
	for _, x := range r.Paths {
		p.Hanging(mark(x.Status)+" ", "     ", x.line())
	}
	fails := 0
	for _, d := range r.DNS {
		if d.Status == Fail {
			fails++
		}
	}
	for _, x := range r.Paths {
		if x.Status == Fail {
			fails++
		}
	}
	if fails == 0 {
		p.Printf("%s is reachable from outside on every checked path.", "%s は外部から確認したすべての経路で到達できます。", r.Name)
	} else {
		p.Printf("%s: %d problem(s) seen from outside.", "%s: 外部から見て問題が %d 件あります。", r.Name, fails)
	}
}

func (d DNSResult) line(name string) msg.Text {
	rr := "A"
	if d.Family == IPv6 {
		rr = "AAAA"
	}
	if !d.Cause.IsZero() {
		return msg.T("DNS %s %s: %s", "DNS %s %s: %s", rr, name, d.Cause)
	}
	return msg.T("DNS %s %s = %s (authoritative %s)", "DNS %s %s = %s (権威サーバー %s)", rr, name, joinAddrs(d.Got), d.Server)
}

func (x PathResult) line() msg.Text {
	head := msg.Same(fmt.Sprintf("%s port %d", x.Family.Name(), x.Port))
	if x.Address.IsValid() {
		head = msg.Same(fmt.Sprintf("%s %s", x.Family.Name(), netip.AddrPortFrom(x.Address, x.Port)))
	}
	return msg.T("%s: %s", "%s: %s", head, x.Cause)
}

func joinAddrs(as []netip.Addr) string {
	if len(as) == 0 {
		return "-"
	}
	s := ""
	for i, a := range as {
		if i > 0 {
			s += ", "
		}
		s += a.String()
	}
	return s
}
