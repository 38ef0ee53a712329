package probeserve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/portprobe"
)

const testToken = "s3cret-token-for-tests"

// serve starts the probe service on 127.0.0.1 and returns its base URL.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

// recorder wraps the real probe and remembers every target it was given.
type recorder struct {
	mu      sync.Mutex
	targets []netip.Addr
}

func (r *recorder) wrap(s *Server) {
	real := s.probe
	s.probe = func(ctx context.Context, target netip.Addr, spec portprobe.Spec, o portprobe.Options) portprobe.Result {
		r.mu.Lock()
		r.targets = append(r.targets, target)
		r.mu.Unlock()
		return real(ctx, target, spec, o)
	}
}

func newServer(t *testing.T, o Options) *Server {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	s, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	s.Timeout = time.Second
	return s
}

// listen opens a TCP listener on addr:0 serving HTTP 204, or skips when the
// address is not on loopback here (127.0.0.2 is, on Linux).
func listen(t *testing.T, addr string) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// freePort returns a port on addr where nothing listens.
func freePort(t *testing.T, addr string) uint16 {
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	p := uint16(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	return p
}

func TestProbesOnlyTheRequestSource(t *testing.T) {
	s := newServer(t, Options{})
	rec := &recorder{}
	rec.wrap(s)
	url := serve(t, s)
	me := netip.MustParseAddr("127.0.0.1")
	other := "127.0.0.2"
	open := listen(t, "127.0.0.1")
	// A port that is open only on the other address: asked from 127.0.0.1,
	// the service must report it closed (it probes us, not the other one).
	onlyOther := listen(t, other)
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", onlyOther)); err == nil {
		ln.Close() // the port is free on 127.0.0.1 too
	} else {
		t.Skipf("port %d taken on 127.0.0.1", onlyOther)
	}
	ans, err := Ask(context.Background(), Prober{URL: url, Token: testToken}, me, me,
		Request{Host: "www.example.jp", Ports: []PortRequest{{Port: open, HTTP: true}, {Port: onlyOther}}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Target != me {
		t.Errorf("target %s, want %s", ans.Target, me)
	}
	if r := ans.Results[0]; r.State != portprobe.Open || r.HTTPStatus != 204 {
		t.Errorf("open port: %+v, want open with HTTP 204", r)
	}
	if r := ans.Results[1]; r.State != portprobe.Closed {
		t.Errorf("port open only on %s: %+v, want closed (probed %s)", other, r, me)
	}

	// The target cannot be smuggled in: not as a body field, not through
	// X-Forwarded-For.
	post := func(body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, url+Path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post(fmt.Sprintf(`{"target":"%s","ports":[{"port":%d}]}`, other, onlyOther), nil)
	if code != http.StatusBadRequest || !strings.Contains(body, "target") {
		t.Errorf("body with a target: %d %s, want 400 naming the field", code, body)
	}
	code, body = post(fmt.Sprintf(`{"ports":[{"port":%d}]}`, onlyOther),
		map[string]string{"X-Forwarded-For": other, "X-Real-IP": other, "Forwarded": "for=" + other})
	if code != http.StatusOK || !strings.Contains(body, `"target":"127.0.0.1"`) || !strings.Contains(body, `"state":"closed"`) {
		t.Errorf("with X-Forwarded-For %s: %d %s, want 200 probing 127.0.0.1 (closed)", other, code, body)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.targets) != 3 {
		t.Errorf("%d probes, want 3", len(rec.targets))
	}
	for _, a := range rec.targets {
		if a != me {
			t.Errorf("probed %s: only the source %s may be probed", a, me)
		}
	}
}

func TestAskFromAnotherSource(t *testing.T) {
	// The client binds the address to be probed; the service sees and
	// probes that one.
	s := newServer(t, Options{})
	url := serve(t, s)
	src := netip.MustParseAddr("127.0.0.3")
	p := listen(t, src.String())
	ans, err := Ask(context.Background(), Prober{URL: url, Token: testToken}, src, src, Request{Ports: []PortRequest{{Port: p}}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Target != src || ans.Results[0].State != portprobe.Open {
		t.Errorf("answer %+v, want target %s open", ans, src)
	}
}

func TestToken(t *testing.T) {
	s := newServer(t, Options{Burst: 100})
	url := serve(t, s)
	p := freePort(t, "127.0.0.1")
	req := Request{Ports: []PortRequest{{Port: p}}}
	me := netip.MustParseAddr("127.0.0.1")
	for _, tok := range []string{"", "wrong", testToken + "x", testToken[:5]} {
		_, err := Ask(context.Background(), Prober{URL: url, Token: tok}, me, me, req)
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Errorf("token %q: %v, want a 401 refusal", tok, err)
		}
		if tok != "" && err != nil && strings.Contains(err.Error(), tok) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	if _, err := Ask(context.Background(), Prober{URL: url, Token: testToken}, me, me, req); err != nil {
		t.Errorf("right token: %v", err)
	}
	if _, err := NewServer(Options{}); err == nil {
		t.Error("NewServer without a token: no error")
	}
}

func TestRateLimit(t *testing.T) {
	s := newServer(t, Options{Burst: 2, Every: 10 * time.Second})
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	s.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	url := serve(t, s)
	p := freePort(t, "127.0.0.1")
	req := Request{Ports: []PortRequest{{Port: p}}}
	ask := func(src string) error {
		_, err := Ask(context.Background(), Prober{URL: url, Token: testToken}, netip.MustParseAddr(src), netip.MustParseAddr(src), req)
		return err
	}
	for i := 0; i < 2; i++ {
		if err := ask("127.0.0.1"); err != nil {
			t.Fatalf("request %d within the burst: %v", i+1, err)
		}
	}
	if err := ask("127.0.0.1"); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("third request: %v, want 429", err)
	}
	// Wrong tokens count too: the limit also slows guessing.
	if _, err := Ask(context.Background(), Prober{URL: url, Token: "guess"}, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1"), req); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("a guess over the limit: %v, want 429", err)
	}
	if err := ask("127.0.0.4"); err != nil {
		t.Errorf("another source: %v, want its own limit", err)
	}
	mu.Lock()
	now = now.Add(10 * time.Second)
	mu.Unlock()
	if err := ask("127.0.0.1"); err != nil {
		t.Errorf("after 10s: %v, want one more allowed", err)
	}
	if err := ask("127.0.0.1"); err == nil {
		t.Error("a second one after 10s: allowed, want 429")
	}
}

func TestLimiterIPv6SharesA64(t *testing.T) {
	l := newLimiter(1, time.Minute)
	now := time.Unix(0, 0)
	if ok, _ := l.allow(netip.MustParseAddr("2001:db8:1:2::10"), now); !ok {
		t.Fatal("first request refused")
	}
	if ok, wait := l.allow(netip.MustParseAddr("2001:db8:1:2:abcd::99"), now); ok || wait != time.Minute {
		t.Errorf("another address of the same /64: allowed=%v wait=%v, want refused for 1m", ok, wait)
	}
	if ok, _ := l.allow(netip.MustParseAddr("2001:db8:1:3::10"), now); !ok {
		t.Error("another /64 refused")
	}
}

func TestLimiterRemembersBoundedSources(t *testing.T) {
	l := newLimiter(2, time.Second)
	now := time.Unix(0, 0)
	for i := 0; i < maxLimitSlots; i++ {
		l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
	}
	if ok, _ := l.allow(netip.MustParseAddr("192.0.2.1"), now); ok {
		t.Error("a new source when every slot is busy: allowed, want refused")
	}
	if ok, _ := l.allow(netip.MustParseAddr("192.0.2.1"), now.Add(3*time.Second)); !ok {
		t.Error("a new source once the old buckets refilled: refused")
	}
	if len(l.buckets) > maxLimitSlots {
		t.Errorf("%d buckets, more than %d", len(l.buckets), maxLimitSlots)
	}
}

func TestDecodeRequest(t *testing.T) {
	ok := `{"host":"www.example.jp","ports":[{"port":80,"http":true},{"port":443,"http":true,"tls":true}]}`
	if r, err := DecodeRequest([]byte(ok)); err != nil || len(r.Ports) != 2 || !r.Ports[1].TLS {
		t.Errorf("good request: %+v %v", r, err)
	}
	for _, bad := range []string{
		``, `[]`, `{}`, `{"ports":[]}`,
		`{"ports":[{"port":0}]}`,
		`{"ports":[{"port":80},{"port":80}]}`,
		`{"ports":[{"port":1},{"port":2},{"port":3},{"port":4},{"port":5},{"port":6},{"port":7},{"port":8},{"port":9}]}`,
		`{"ports":[{"port":65536}]}`,
		`{"ports":[{"port":80}],"target":"192.0.2.1"}`,
		`{"ports":[{"port":80,"addr":"192.0.2.1"}]}`,
		`{"ports":[{"port":80}]} {"ports":[{"port":81}]}`,
		`{"host":"a b","ports":[{"port":80}]}`,
		`{"host":"-x.example","ports":[{"port":80}]}`,
		`{"host":"` + strings.Repeat("a", 64) + `.jp","ports":[{"port":80}]}`,
		`{"ports":[{"port":80}],"host":"` + strings.Repeat("a.", 2100) + `"}`,
	} {
		if _, err := DecodeRequest([]byte(bad)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("DecodeRequest(%.60q) = %v, want ErrBadRequest", bad, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	s := newServer(t, Options{Burst: 100})
	url := serve(t, s)
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodGet, Path, "", http.StatusMethodNotAllowed},
		{http.MethodPost, "/", "", http.StatusNotFound},
		{http.MethodPost, Path, strings.Repeat("x", MaxRequestSize+10), http.StatusRequestEntityTooLarge},
		{http.MethodPost, Path, "{", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(c.method, url+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want || !bytes.Contains(b, []byte(`"error"`)) {
			t.Errorf("%s %s (%d bytes): %d %s, want %d with an error", c.method, c.path, len(c.body), resp.StatusCode, b, c.want)
		}
	}
}

func TestAskRejectsAnAnswerForSomeoneElse(t *testing.T) {
	// A prober (or a proxy on the way) that reports another target means
	// the request did not leave by the path to be checked.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"version":1,"target":"192.0.2.99","results":[{"port":80,"state":"open"}]}`)
	}))
	defer ts.Close()
	_, err := Ask(context.Background(), Prober{URL: ts.URL, Token: "t"}, netip.Addr{}, netip.MustParseAddr("127.0.0.1"), Request{Ports: []PortRequest{{Port: 80}}})
	if err == nil || !strings.Contains(err.Error(), "192.0.2.99") {
		t.Errorf("answer about another target: %v, want an error naming it", err)
	}
}

func TestProberServes(t *testing.T) {
	for _, c := range []struct {
		url    string
		v4, v6 bool
	}{
		{"http://192.0.2.2:7008", true, false},
		{"http://[2001:db8::2]:7008", false, true},
		{"https://probe.example.net:8443", true, true},
		{"http://[::ffff:192.0.2.2]:1", true, false},
	} {
		p := Prober{URL: c.url}
		if p.Serves(false) != c.v4 || p.Serves(true) != c.v6 {
			t.Errorf("%s: serves IPv4 %v IPv6 %v, want %v %v", c.url, p.Serves(false), p.Serves(true), c.v4, c.v6)
		}
	}
}
