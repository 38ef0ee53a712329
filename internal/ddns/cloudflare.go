package ddns

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// CloudflareURL is the API v4 base (https://developers.cloudflare.com/api/).
const CloudflareURL = "https://api.cloudflare.com/client/v4"

// Cloudflare keeps A/AAAA records through API v4 with a Bearer token:
// GET /zones?name= (unless ZoneID is given), GET /zones/{id}/dns_records?type=&name=,
// then POST (create) or PUT (update) /zones/{id}/dns_records[/{rid}].
type Cloudflare struct {
	Name    string // record name, e.g. www.example.jp
	Zone    string // zone name; derived from Name when empty
	ZoneID  string // skips the zone lookup
	Token   string
	TTL     int    // 1 = automatic
	BaseURL string // default CloudflareURL
}

// Kind implements Provider.
func (c *Cloudflare) Kind() string { return "cloudflare" }

// CloudflareEnvelope is the common answer shape of API v4.
type CloudflareEnvelope struct {
	Success bool              `json:"success"`
	Errors  []CloudflareMsg   `json:"errors"`
	Result  json.RawMessage   `json:"result"`
	Info    *CloudflarePaging `json:"result_info,omitempty"`
}

// CloudflareMsg is one entry of errors/messages.
type CloudflareMsg struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// CloudflarePaging is result_info.
type CloudflarePaging struct {
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
}

// CloudflareRecord is a DNS record as the API returns it.
type CloudflareRecord struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Content string `json:"content"`
	TTL     int    `json:"ttl,omitempty"`
	Proxied *bool  `json:"proxied,omitempty"`
}

// CloudflareZone is a zone as the API returns it.
type CloudflareZone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ParseCloudflareEnvelope decodes an API v4 answer body.
func ParseCloudflareEnvelope(body []byte) (CloudflareEnvelope, error) {
	var e CloudflareEnvelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("not a Cloudflare API answer: %v", err)
	}
	return e, nil
}

func (e CloudflareEnvelope) errText() string {
	var parts []string
	for _, m := range e.Errors {
		parts = append(parts, fmt.Sprintf("%d %s", m.Code, m.Message))
	}
	if len(parts) == 0 {
		return "success=false without errors"
	}
	return strings.Join(parts, "; ")
}

// call performs one API request and decodes the envelope into result.
func (c *Cloudflare) call(ctx context.Context, method, path string, q url.Values, in, result any) error {
	ep, err := endpoint(def(c.BaseURL, CloudflareURL), path)
	if err != nil {
		return perr("cloudflare", KindBadRequest, "%v", err)
	}
	if q != nil {
		ep.RawQuery = q.Encode()
	}
	var body *bytes.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, ep.String(), body)
	if err != nil {
		return perr("cloudflare", KindBadRequest, "%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := newClient("tcp", netip.Addr{}).Do(req)
	if err != nil {
		return netError("cloudflare", ep, err, c.Token)
	}
	defer resp.Body.Close()
	raw, _ := readBody(resp.Body)
	raw = []byte(Scrub(string(raw), c.Token))
	env, perr2 := ParseCloudflareEnvelope(raw)
	if resp.StatusCode != http.StatusOK {
		e := httpStatusError("cloudflare", resp, nil)
		if perr2 == nil {
			e.Msg = fmt.Sprintf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, env.errText())
		}
		return e
	}
	if perr2 != nil {
		return perr("cloudflare", KindTemporary, "%s %s: %v", method, path, perr2)
	}
	if !env.Success {
		return perr("cloudflare", KindBadRequest, "%s %s: %s", method, path, env.errText())
	}
	if result != nil {
		if err := json.Unmarshal(env.Result, result); err != nil {
			return perr("cloudflare", KindTemporary, "%s %s: bad result: %v", method, path, err)
		}
	}
	return nil
}

func (c *Cloudflare) zoneID(ctx context.Context) (string, error) {
	if c.ZoneID != "" {
		return c.ZoneID, nil
	}
	name := strings.TrimSuffix(c.Name, ".")
	var cands []string
	if c.Zone != "" {
		cands = []string{strings.TrimSuffix(c.Zone, ".")}
	} else {
		labels := strings.Split(name, ".")
		for i := 0; i+2 <= len(labels); i++ {
			cands = append(cands, strings.Join(labels[i:], "."))
		}
	}
	for _, z := range cands {
		var zones []CloudflareZone
		if err := c.call(ctx, http.MethodGet, "/zones", url.Values{"name": {z}}, nil, &zones); err != nil {
			return "", err
		}
		if len(zones) > 0 {
			c.ZoneID = zones[0].ID
			return c.ZoneID, nil
		}
	}
	return "", perr("cloudflare", KindNoHost, "no zone for %q visible to this token", name)
}

func (c *Cloudflare) records(ctx context.Context, zid, typ string) ([]CloudflareRecord, error) {
	var recs []CloudflareRecord
	err := c.call(ctx, http.MethodGet, "/zones/"+url.PathEscape(zid)+"/dns_records",
		url.Values{"type": {typ}, "name": {strings.TrimSuffix(c.Name, ".")}}, nil, &recs)
	return recs, err
}

// eachType calls f for A (when v4) and AAAA (when v6) with the zone's id
// and the records of c.Name of that type at the API.
func (c *Cloudflare) eachType(ctx context.Context, v4, v6 bool, f func(zid, typ string, recs []CloudflareRecord) error) error {
	zid, err := c.zoneID(ctx)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		typ  string
		want bool
	}{{"A", v4}, {"AAAA", v6}} {
		if !t.want {
			continue
		}
		recs, err := c.records(ctx, zid, t.typ)
		if err != nil {
			return err
		}
		if err := f(zid, t.typ, recs); err != nil {
			return err
		}
	}
	return nil
}

// addrOf is the address u publishes for record type typ (A or AAAA).
func addrOf(u Update, typ string) netip.Addr {
	if typ == "A" {
		return u.IPv4
	}
	return u.IPv6
}

// Update implements Provider.
func (c *Cloudflare) Update(ctx context.Context, u Update) error {
	return c.eachType(ctx, u.IPv4.IsValid(), u.IPv6.IsValid(), func(zid, typ string, recs []CloudflareRecord) error {
		ttl := c.TTL
		if ttl == 0 {
			ttl = 1
		}
		want := CloudflareRecord{Type: typ, Name: strings.TrimSuffix(c.Name, "."), Content: addrOf(u, typ).String(), TTL: ttl}
		switch {
		case len(recs) == 0:
			return c.call(ctx, http.MethodPost, "/zones/"+url.PathEscape(zid)+"/dns_records", nil, want, nil)
		case recs[0].Content == want.Content:
			return nil
		}
		want.Proxied = recs[0].Proxied // keep the user's proxy choice
		return c.call(ctx, http.MethodPut, "/zones/"+url.PathEscape(zid)+"/dns_records/"+url.PathEscape(recs[0].ID), nil, want, nil)
	})
}

// Verify implements Verifier: the API lists the records with the new content.
func (c *Cloudflare) Verify(ctx context.Context, u Update) error {
	return c.eachType(ctx, u.IPv4.IsValid(), u.IPv6.IsValid(), func(_, typ string, recs []CloudflareRecord) error {
		if ip := addrOf(u, typ); len(recs) == 0 || recs[0].Content != ip.String() {
			return perr("cloudflare", KindVerify, "%s record of %s does not show %s after the update", typ, c.Name, ip)
		}
		return nil
	})
}

// DryRun implements Provider.
func (c *Cloudflare) DryRun(u Update) []msg.Text {
	var out []msg.Text
	base := strings.TrimRight(def(c.BaseURL, CloudflareURL), "/")
	zone := msg.Same(def(c.ZoneID, c.Zone))
	if zone.EN == "" {
		zone = msg.T("zone of name", "名前のゾーン")
	}
	if u.IPv4.IsValid() {
		out = append(out, msg.T("PUT/POST %s/zones/{%s}/dns_records A %s %s (Bearer ***)", "PUT/POST %s/zones/{%s}/dns_records A %s %s (Bearer ***)", base, zone, c.Name, u.IPv4))
	}
	if u.IPv6.IsValid() {
		out = append(out, msg.T("PUT/POST %s/zones/{%s}/dns_records AAAA %s %s (Bearer ***)", "PUT/POST %s/zones/{%s}/dns_records AAAA %s %s (Bearer ***)", base, zone, c.Name, u.IPv6))
	}
	return out
}
