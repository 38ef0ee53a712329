package portprobe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

func addrPort(t *testing.T, u string) (netip.Addr, uint16) {
	t.Helper()
	var host string
	var port uint16
	if _, err := fmt.Sscanf(u, "https://%s", &host); err != nil {
		fmt.Sscanf(u, "http://%s", &host)
	}
	ap, err := netip.ParseAddrPort(host)
	if err != nil {
		t.Fatal(err)
	}
	port = ap.Port()
	return ap.Addr(), port
}

func TestOpenHTTPWithHost(t *testing.T) {
	var gotHost string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost = r.Host
		w.WriteHeader(http.StatusTeapot)
	}))
	defer ts.Close()
	a, p := addrPort(t, ts.URL)
	r := Probe(context.Background(), a, Spec{Port: p, HTTP: true, Host: "www.example.jp"}, Options{Timeout: time.Second})
	if r.State != Open || r.HTTPStatus != http.StatusTeapot || gotHost != "www.example.jp" {
		t.Errorf("got %+v with Host %q, want open, 418, Host www.example.jp", r, gotHost)
	}
}

func TestClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := uint16(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	r := Probe(context.Background(), netip.MustParseAddr("127.0.0.1"), Spec{Port: p, HTTP: true}, Options{Timeout: time.Second})
	if r.State != Closed || r.HTTPStatus != 0 {
		t.Errorf("got %+v, want closed", r)
	}
}

func TestNotHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()
	p := uint16(ln.Addr().(*net.TCPAddr).Port)
	r := Probe(context.Background(), netip.MustParseAddr("127.0.0.1"), Spec{Port: p, HTTP: true}, Options{Timeout: time.Second})
	if r.State != Open || r.HTTPStatus != 0 || r.HTTPError == "" {
		t.Errorf("got %+v, want open with an HTTP error", r)
	}
}

func TestTLSFacts(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	a, p := addrPort(t, ts.URL)
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	// httptest's certificate is for example.com (and 127.0.0.1).
	r := Probe(context.Background(), a, Spec{Port: p, HTTP: true, TLS: true, Host: "example.com"}, Options{Timeout: time.Second, Roots: roots})
	if r.State != Open || r.TLS == nil || !r.TLS.Verified || r.HTTPStatus != 200 {
		t.Fatalf("got %+v (tls %+v), want open, verified, 200", r, r.TLS)
	}
	if !r.TLS.NotAfter.Equal(ts.Certificate().NotAfter.UTC()) || r.TLS.Version == "" {
		t.Errorf("tls facts %+v, want not_after %v", r.TLS, ts.Certificate().NotAfter)
	}
	// The wrong name: facts still shown, not verified, with the reason.
	r = Probe(context.Background(), a, Spec{Port: p, TLS: true, Host: "www.example.jp"}, Options{Timeout: time.Second, Roots: roots})
	if r.TLS == nil || r.TLS.Verified || r.TLS.Error == "" || r.TLS.NotAfter.IsZero() {
		t.Errorf("wrong name: %+v, want unverified with an error and the expiry", r.TLS)
	}
	// Not in the roots.
	r = Probe(context.Background(), a, Spec{Port: p, TLS: true, Host: "example.com"}, Options{Timeout: time.Second, Roots: x509.NewCertPool()})
	if r.TLS == nil || r.TLS.Verified {
		t.Errorf("unknown root: %+v, want unverified", r.TLS)
	}
}

func TestTLSOnPlainHTTP(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	a, p := addrPort(t, ts.URL)
	r := Probe(context.Background(), a, Spec{Port: p, HTTP: true, TLS: true, Host: "example.com"}, Options{Timeout: time.Second})
	if r.State != Open || r.TLS == nil || r.TLS.Verified || r.TLS.Error == "" || r.HTTPStatus != 0 {
		t.Errorf("TLS to plain HTTP: %+v (tls %+v), want open with a handshake error", r, r.TLS)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want State
	}{
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, Closed},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, Filtered},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EACCES)}, Filtered},
		{context.DeadlineExceeded, Filtered},
		{errors.New("something else"), Filtered},
	} {
		if got, detail := Classify(c.err); got != c.want || detail == "" {
			t.Errorf("Classify(%v) = %s %q, want %s", c.err, got, detail, c.want)
		}
	}
}
