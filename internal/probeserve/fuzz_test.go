package probeserve

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/dualpath/dualpath/internal/portprobe"
)

// FuzzDecodeRequest: any body either decodes to a request within the
// protocol's limits or is refused with ErrBadRequest; never a panic.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"ports":[{"port":80}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeRequest(body)
		if err != nil {
			return
		}
		if len(r.Ports) == 0 || len(r.Ports) > MaxPorts || !ValidHost(r.Host) {
			t.Fatalf("accepted %q: %+v", body, r)
		}
	})
}

// FuzzHandler sends any body, with the right token, through the whole
// handler: it answers with JSON, and whatever it probes is the request's
// source and nothing else. (The probe itself is replaced by a recorder: the
// fuzzer tests the handler, not the network.)
func FuzzHandler(f *testing.F) {
	f.Add([]byte(`{"ports":[{"port":80,"http":true}]}`))
	s, err := NewServer(Options{Token: "tok", Burst: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	src := netip.MustParseAddr("192.0.2.7")
	s.probe = func(_ context.Context, target netip.Addr, spec portprobe.Spec, _ portprobe.Options) portprobe.Result {
		if target != src {
			panic("probed " + target.String() + ", not the source " + src.String())
		}
		return portprobe.Result{Port: spec.Port, State: portprobe.Closed}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		req.RemoteAddr = "192.0.2.7:40000"
		req.Header.Set("Authorization", "Bearer tok")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		if w.Code == http.StatusOK {
			r, _ := DecodeRequest(body)
			if _, err := DecodeAnswer(w.Body.Bytes(), r); err != nil {
				t.Fatalf("answer does not decode: %v", err)
			}
		}
	})
}

// FuzzDecodeAnswer: the client reads a prober's answer (outside bytes)
// without panicking, and accepts only results for ports it asked.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add([]byte(`{"version":1,"target":"203.0.113.7","results":[{"port":80,"state":"open"}]}`))
	asked := Request{Ports: []PortRequest{{Port: 80}, {Port: 443}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := DecodeAnswer(body, asked)
		if err != nil {
			return
		}
		for _, r := range a.Results {
			if r.Port != 80 && r.Port != 443 {
				t.Fatalf("accepted a result for port %d", r.Port)
			}
		}
	})
}
