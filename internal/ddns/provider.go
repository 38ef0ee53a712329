package ddns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// Update is one request to a provider: the addresses to publish for Name.
// A zero address leaves that family alone (not changed, nothing to send).
type Update struct {
	Name string
	IPv4 netip.Addr
	IPv6 netip.Addr
	// IPv4Local, when valid, is the local address the IPv4 request must be
	// sent from (MyDNS records the request's source address, so it is bound
	// to the PPPoE address and the policy rule routes it out the TUN).
	IPv4Local netip.Addr
	// IPv6Local is the same for IPv6 (the chosen stable address).
	IPv6Local netip.Addr
}

// Provider publishes addresses for one DNS name. Update returns nil when the
// provider confirmed the new value, or an error (usually *Error) saying why
// not. Implementations never put a credential into an error.
type Provider interface {
	// Kind is the config name: mydns, rfc2136, cloudflare, duckdns, dyndns2.
	Kind() string
	Update(ctx context.Context, u Update) error
	// DryRun describes what Update would send, with credentials masked.
	// Each line in both languages (the request itself is the same in both).
	DryRun(u Update) []msg.Text
}

// Verifier is a Provider that can read back what is published, to confirm an
// update (rfc2136: the authoritative server; cloudflare: the API).
type Verifier interface {
	Verify(ctx context.Context, u Update) error
}

// ErrorKind classifies a provider's refusal, for backoff and for messages.
type ErrorKind int

// Kinds of provider errors.
const (
	KindTemporary   ErrorKind = iota // network error, 5xx, dyndns2 911/dnserr: retry with backoff
	KindAuth                         // credentials rejected
	KindNoHost                       // the name is not in the account / zone
	KindRateLimited                  // 429 or abuse: wait at least RetryAfter
	KindBadRequest                   // the provider did not understand us
	KindVerify                       // the provider said yes but the record does not show it
	KindUnreachable                  // the request never reached the provider (no route, refused, connect timeout)
)

var kindNames = [...]string{"temporary", "auth", "nohost", "ratelimited", "badrequest", "verify", "unreachable"}

// String names the kind, as in log lines (kind=auth).
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind" + strconv.Itoa(int(k))
}

// Error is a provider's refusal or a failure to reach it. Msg never holds a
// credential.
type Error struct {
	Provider   string
	Kind       ErrorKind
	RetryAfter time.Duration // from Retry-After, when given
	Msg        string
	Status     int   // the HTTP status of the answer, when one came
	Err        error // what went wrong below (the transport's error), if anything
}

// Unwrap is what went wrong below, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Error says what the provider answered and, for credentials and names,
// what to check; it never holds a credential.
func (e *Error) Error() string {
	s := e.Provider + ": " + e.Msg
	switch e.Kind {
	case KindAuth:
		s += " (credentials rejected: check the username and the password/token file)"
	case KindNoHost:
		s += " (the name is not in this account or zone: check name/zone)"
	}
	return s
}

// perr is a provider error; the first error among args is its Err.
func perr(provider string, kind ErrorKind, format string, args ...any) *Error {
	e := &Error{Provider: provider, Kind: kind, Msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.Err = err
			break
		}
	}
	return e
}

// KindOf returns the kind of err (KindTemporary for errors that are not *Error).
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindTemporary
}

// RetryAfterOf returns the provider's Retry-After for err, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// userAgent is sent with every request; dyndns2 servers require one.
const userAgent = "dualpath-ddns/1 (+https://github.com/dualpath/dualpath)"

// httpTimeout bounds one provider request.
const httpTimeout = 20 * time.Second

// newClient returns an HTTP client whose connections use network ("tcp",
// "tcp4" or "tcp6") and, when valid, the local address local. Binding a source
// address does not choose the route by itself: the policy rule for that
// source does (openwrt/packages#8277). No proxy: the source address matters.
func newClient(network string, local netip.Addr) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if local.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: local.AsSlice(), Zone: local.Zone()}
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: httpTimeout,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: httpTimeout,
		CheckRedirect: checkRedirect}
}

// checkRedirect follows a provider's redirect only to the same scheme and
// host: Go re-sends the Authorization header (Basic password, API token) to
// the same host even from https to http, so a downgrade or a move to
// another host is refused rather than followed.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("refused redirect from %s to %s: credentials are sent only to the configured endpoint", redactURL(first), redactURL(req.URL))
	}
	return nil
}

// redactURL drops the query and any user info: tokens live there.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}

// getOK sends a provider's request, with dualpath's User-Agent, through
// client and returns the body of a 200 answer with every secret scrubbed
// from it. A network failure or any other status is the provider's error,
// secrets scrubbed as well.
func getOK(provider string, client *http.Client, req *http.Request, secrets ...string) ([]byte, *Error) {
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, netError(provider, req.URL, err, secrets...)
	}
	defer resp.Body.Close()
	body, _ := readBody(resp.Body)
	body = []byte(Scrub(string(body), secrets...))
	if resp.StatusCode != http.StatusOK {
		return nil, httpStatusError(provider, resp, body)
	}
	return body, nil
}

// netError turns a transport error into a temporary *Error (unreachable
// when the request never reached the provider, reach.go) that names the
// endpoint without its query (tokens) and scrubs the given secrets.
func netError(provider string, u *url.URL, err error, secrets ...string) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := fmt.Sprintf("%s: %v", redactURL(u), err)
	kind := KindTemporary
	if unreachable(err) {
		kind = KindUnreachable
	}
	e := perr(provider, kind, "%s", Scrub(msg, secrets...))
	e.Err = err
	return e
}

// Scrub replaces every occurrence of each non-empty secret (and its URL
// query encoding) in s by "***".
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 1 {
			continue
		}
		s = strings.ReplaceAll(s, sec, "***")
		if q := url.QueryEscape(sec); q != sec {
			s = strings.ReplaceAll(s, q, "***")
		}
	}
	return s
}

// scrubText is err in both languages (msg.ErrorText) with secrets taken out
// of each, for the log.
func scrubText(err error, secrets []string) msg.Text {
	t := msg.ErrorText(err)
	return msg.Text{EN: Scrub(t.EN, secrets...), JA: Scrub(t.JA, secrets...)}
}

// readBody reads at most 64 KiB of a response body.
func readBody(r io.Reader) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, 64<<10))
}

// httpStatusError classifies an unexpected HTTP status.
func httpStatusError(provider string, resp *http.Response, body []byte) *Error {
	e := perr(provider, KindTemporary, "HTTP %d %s", resp.StatusCode, snippet(body))
	e.Status = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Kind = KindAuth
	case resp.StatusCode == http.StatusNotFound:
		e.Kind = KindNoHost
	case resp.StatusCode >= 500:
		e.Kind = KindTemporary
		e.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode >= 400:
		e.Kind = KindBadRequest
	}
	return e
}

// ParseRetryAfter decodes a Retry-After header (RFC 9110 section 10.2.3):
// delay-seconds or an HTTP-date. It returns 0 when absent or invalid.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// snippet is a short, single-line, printable excerpt of a body for messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	if s == "" {
		return ""
	}
	return strconv.Quote(s)
}

// endpoint joins a base URL and a path; base may already carry a path.
func endpoint(base, path string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + path)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %v", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: want http:// or https://", base)
	}
	return u, nil
}
