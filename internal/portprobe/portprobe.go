// Package portprobe looks at one TCP port of one address the way a visitor
// does: a connection (open, closed or filtered), then, when asked, an HTTP
// GET with the site's Host header and a TLS handshake with the site's name
// as SNI, the chain and name verified against the system roots. It is the
// one probe both `dualpath probe-serve` (from outside) and `dualpath check`
// (from the server, by the other path) run.
package portprobe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// State is what a TCP connection attempt found.
type State string

// Connection outcomes. Filtered means no answer, or an ICMP error: something
// on the way (a firewall, a router's filter) dropped or refused the SYN
// before it reached the host. Closed is a TCP reset from the host itself:
// the packet arrived but nothing listens.
const (
	Open     State = "open"
	Closed   State = "closed"
	Filtered State = "filtered"
)

// DefaultTimeout bounds each step (connect, handshake, HTTP answer).
const DefaultTimeout = 3 * time.Second

// Spec is what to find out about one port.
type Spec struct {
	Port uint16
	HTTP bool   // send GET / with Host and report the status
	TLS  bool   // TLS handshake first (SNI = Host), chain verified
	Host string // the site's name, for Host and SNI (no trailing dot)
}

// TLSFacts is what the TLS handshake showed.
type TLSFacts struct {
	Version  string `json:"version"`         // "TLS 1.3"
	Verified bool   `json:"verified"`        // chain and name verified against the roots
	Error    string `json:"error,omitempty"` // why it was not verified
	// ErrorCode is Error's kind as a code (msg.CodeOf), for the reader's
	// language.
	ErrorCode string    `json:"error_code,omitempty"`
	NotAfter  time.Time `json:"not_after,omitzero"`  // the leaf certificate's expiry
	Subject   string    `json:"subject,omitempty"`   // the leaf's common name
	Issuer    string    `json:"issuer,omitempty"`    // the leaf's issuer common name
	Names     []string  `json:"dns_names,omitempty"` // the leaf's DNS names
}

// Result is what Probe found about one port.
type Result struct {
	Port       uint16    `json:"port"`
	State      State     `json:"state"`
	Detail     string    `json:"detail,omitempty"`      // the connect error, for closed and filtered
	HTTPStatus int       `json:"http_status,omitempty"` // 0 when not asked or no HTTP answer
	HTTPError  string    `json:"http_error,omitempty"`
	TLS        *TLSFacts `json:"tls,omitempty"`
}

// Options tune a probe; the zero value probes with DefaultTimeout, from any
// local address, verifying against the system roots.
type Options struct {
	Timeout time.Duration
	Local   netip.Addr     // source address to bind, if valid
	Roots   *x509.CertPool // nil: the system roots
	Control func(network, address string, c syscall.RawConn) error
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// Probe connects to target:spec.Port and, when the port is open, does what
// spec asks. It never returns an error: every failure is a fact in Result.
func Probe(ctx context.Context, target netip.Addr, spec Spec, opts Options) Result {
	r := Result{Port: spec.Port}
	d := net.Dialer{Timeout: opts.timeout(), Control: opts.Control}
	if opts.Local.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: opts.Local.AsSlice(), Zone: opts.Local.Zone()}
	}
	addr := netip.AddrPortFrom(target.Unmap(), spec.Port).String()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.State, r.Detail = Classify(err)
		return r
	}
	r.State = Open
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * opts.timeout()))
	var conn net.Conn = c
	if spec.TLS {
		tc, facts := handshake(ctx, c, spec.Host, opts)
		r.TLS = facts
		if tc == nil {
			return r
		}
		conn = tc
	}
	if spec.HTTP {
		r.HTTPStatus, r.HTTPError = get(conn, spec)
	}
	return r
}

// Classify maps a connect error to a state: a reset is Closed, anything
// else (timeout, ICMP unreachable, administratively prohibited) Filtered.
func Classify(err error) (State, string) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Closed, "connection refused (TCP reset)"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return Filtered, "no route to host (ICMP unreachable)"
	case errors.Is(err, syscall.ENETUNREACH):
		return Filtered, "network unreachable"
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return Filtered, "administratively prohibited"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Filtered, "no answer (timed out)"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Filtered, "no answer (timed out)"
	}
	return Filtered, shortErr(err)
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// handshake runs TLS over c with SNI = host. The chain is verified by hand
// after the handshake, so that an unverified certificate still shows its
// facts (expiry, names) instead of only an error.
func handshake(ctx context.Context, c net.Conn, host string, opts Options) (*tls.Conn, *TLSFacts) {
	cfg := &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // verified below, against opts.Roots or the system roots
		MinVersion:         tls.VersionTLS12,
	}
	tc := tls.Client(c, cfg)
	hctx, cancel := context.WithTimeout(ctx, opts.timeout())
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, &TLSFacts{Error: "handshake failed: " + shortErr(err), ErrorCode: msg.CodeOf(err)}
	}
	st := tc.ConnectionState()
	f := &TLSFacts{Version: tls.VersionName(st.Version)}
	if len(st.PeerCertificates) == 0 {
		f.Error = "no certificate"
		return tc, f
	}
	leaf := st.PeerCertificates[0]
	f.NotAfter, f.Subject, f.Issuer = leaf.NotAfter.UTC(), leaf.Subject.CommonName, leaf.Issuer.CommonName
	f.Names = leaf.DNSNames
	if len(f.Names) > 8 {
		f.Names = f.Names[:8]
	}
	inter := x509.NewCertPool()
	for _, ct := range st.PeerCertificates[1:] {
		inter.AddCert(ct)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: opts.Roots, Intermediates: inter})
	if err != nil {
		f.Error, f.ErrorCode = err.Error(), msg.CodeOf(err)
	} else {
		f.Verified = true
	}
	return tc, f
}

// get sends one GET / with the site's Host over conn and reads the status.
func get(conn net.Conn, spec Spec) (int, string) {
	host := spec.Host
	if host == "" {
		host = "localhost"
	}
	scheme := "http"
	if spec.TLS {
		scheme = "https"
	}
	req, err := http.NewRequest(http.MethodGet, scheme+"://"+host+"/", nil)
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("User-Agent", "dualpath-check")
	req.Close = true
	if err := req.Write(conn); err != nil {
		return 0, "sending the request: " + shortErr(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return 0, fmt.Sprintf("no HTTP answer: %s", shortErr(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, ""
}
