package probeserve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// Prober is one probe service the checker asks.
type Prober struct {
	URL   string // base URL, e.g. https://probe.example.net:8443
	Token string
}

// ClientTimeout bounds one request to a prober: up to MaxPorts probes of a
// few steps each.
const ClientTimeout = 45 * time.Second

// Ask sends req to the prober from bind (the address to be probed: the
// PPPoE address for IPv4, the stable address for IPv6; invalid to let the
// routing choose, as when a second router's NAT gives the address), over
// expect's family only. The answer's target must be expect: anything else
// means the request did not leave by the path meant and the probe saw
// someone else.
func Ask(ctx context.Context, p Prober, bind, expect netip.Addr, req Request) (Answer, error) {
	if err := req.Validate(); err != nil {
		return Answer{}, err
	}
	base, err := url.Parse(p.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return Answer{}, fmt.Errorf("prober URL %q is not http:// or https://", p.URL)
	}
	u := base.JoinPath(Path)
	body, _ := json.Marshal(req)
	network := "tcp4"
	if expect.Is6() && !expect.Is4In6() {
		network = "tcp6"
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	if bind.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: bind.AsSlice()}
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout: 5 * time.Second,
		DisableKeepAlives:   true,
		Proxy:               nil, // never through a proxy: the source must be ours
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: ClientTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return Answer{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+p.Token)
	hr.Header.Set("User-Agent", "dualpath-check")
	resp, err := client.Do(hr)
	if err != nil {
		return Answer{}, &AskError{Msg: fmt.Sprintf("prober %s: %s", redact(base), scrub(unwrapURL(err), p.Token)), Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerSize+1))
	if err != nil {
		return Answer{}, fmt.Errorf("prober %s: reading the answer: %v", redact(base), err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		msg := resp.Status
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg += ": " + e.Error
		}
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return Answer{}, &RefusedError{Status: resp.StatusCode, Msg: fmt.Sprintf("prober %s refused: %s", redact(base), scrub(msg, p.Token))}
	}
	a, err := DecodeAnswer(b, req)
	if err != nil {
		return Answer{}, fmt.Errorf("prober %s: %v", redact(base), err)
	}
	if expect.IsValid() && a.Target != expect.Unmap() {
		return Answer{}, fmt.Errorf("prober %s saw this request come from %s, not %s: it did not leave by the path to be checked", redact(base), a.Target, expect)
	}
	return a, nil
}

// RefusedError is a prober's refusal (a wrong token, the rate limit): the
// request got there and back, so the path to the prober works.
type RefusedError struct {
	Status int // the HTTP status, e.g. 401, 429
	Msg    string
}

func (e *RefusedError) Error() string { return e.Msg }

// ErrorCode is the refusal's HTTP status as a code (msg.Coder).
func (e *RefusedError) ErrorCode() string { return msg.HTTPCode(e.Status) }

// AskError is a request that did not reach the prober or got no answer:
// Msg names the prober (token scrubbed), Err is the transport's error.
type AskError struct {
	Msg string
	Err error
}

func (e *AskError) Error() string { return e.Msg }

// Unwrap is the transport's error, for errors.Is and msg.CodeOf.
func (e *AskError) Unwrap() error { return e.Err }

// Serves reports whether a prober's URL can be reached over family v6 (true)
// or IPv4 (false): a URL whose host is an IP literal of the other family
// cannot; a name may have both.
func (p Prober) Serves(v6 bool) bool {
	u, err := url.Parse(p.URL)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return true
	}
	return a.Unmap().Is6() == v6
}

func unwrapURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// redact is the URL without user info or query, for messages.
func redact(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[token]")
}
