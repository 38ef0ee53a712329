package ddns

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/ddns/providersim"
)

// TestBackoffFitsTheFailure: a request that never reached the provider is
// retried 1 s, 2 s, 4 s... capped at a minute, without MyDNS's 5-minute
// floor; an answer from the provider keeps the floor.
func TestBackoffFitsTheFailure(t *testing.T) {
	u := &Updater{opts: Options{BackoffBase: time.Minute, BackoffMax: 6 * time.Hour, Jitter: func() float64 { return 0.5 }}}
	r := &record{minBackoff: 5 * time.Minute}
	unreach := &Error{Provider: "mydns", Kind: KindUnreachable, Msg: "connect: no route to host"}
	var got []time.Duration
	now := time.Unix(0, 0)
	for i := 1; i <= 9; i++ {
		r.st.Failures = i
		r.retry.unreachableAt(now)
		got = append(got, u.backoff(r, unreach))
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("unreachable backoff %v, want %v seconds", got, want)
		}
	}
	r.retry = retryState{}
	r.st.Failures = 1
	if d := u.backoff(r, &Error{Provider: "mydns", Kind: KindTemporary, Msg: "HTTP 500"}); d != 5*time.Minute {
		t.Fatalf("MyDNS answering 500: retry in %v, want the 5 min floor", d)
	}
}

// TestUnreachableKind: transport errors that never reached the provider
// are told apart from answers.
func TestUnreachableKind(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	m := &MyDNS{MasterID: "mydns1", Password: secretPW, DirectIP: true, DirectIPURL: "http://" + addr + "/directip.html"}
	wantKind(t, m.Update(context.Background(), Update{IPv4: ip("203.0.113.7")}), KindUnreachable)
	sim := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	sim.Fail(providersim.Fault{Status: 500, N: 1})
	m.DirectIPURL = serve(t, sim) + "/directip.html"
	wantKind(t, m.Update(context.Background(), Update{IPv4: ip("203.0.113.7")}), KindTemporary)
}

// TestNewAddressAfterAnsweredFailure: after MyDNS answered a failure (5 min
// floor), the same address waits, a different one is sent at once.
func TestNewAddressAfterAnsweredFailure(t *testing.T) {
	sim := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	url := serve(t, sim)
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
interface: lan0
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: %s
    ipv4: none
    ipv6: interface:lan0
`, writeSecret(t, dir, "pw", secretPW), url))
	h := newFakeHost()
	h.set("lan0", "2001:db8:1::10/64")
	u, err := New(cfg, testOptions(h, &logBuf{}, "-"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sim.Fail(providersim.Fault{Status: 500, N: 1})
	if err := u.pass(ctx, false); err == nil {
		t.Fatal("500 accepted")
	}
	n := len(sim.Requests())
	h.advance(time.Minute)
	_ = u.pass(ctx, false)
	if len(sim.Requests()) != n {
		t.Fatal("the same address was re-sent during the 5 min floor")
	}
	h.set("lan0", "2001:db8:1::20/64")
	if err := u.pass(ctx, false); err != nil {
		t.Fatalf("new address: %v", err)
	}
	if got := sim.Record("mydns1").IPv6; got != ip("2001:db8:1::20") {
		t.Fatalf("MyDNS has %v, want the new address at once", got)
	}
}

// TestAddressChangeAfterBlip: the path to MyDNS goes away (the port
// refuses: the request never reaches it) while the server's IPv6 address
// changes twice; 10 s later the path is back, and the last address is in
// MyDNS within 2 s, not after a 5-minute floor.
func TestAddressChangeAfterBlip(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 12 s")
	}
	sim := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	srv := &http.Server{Handler: sim}
	go srv.Serve(l)
	dir := t.TempDir()
	cfg := loadConfig(t, fmt.Sprintf(`
interface: lan0
ddns:
  - provider: mydns
    username: mydns1
    password_file: %s
    direct_ip: true
    base_url: http://%s
    ipv4: none
    ipv6: interface:lan0
`, writeSecret(t, dir, "pw", secretPW), addr))
	h := newFakeHost()
	h.set("lan0", "2001:db8:1::10/64")
	watch := make(chan struct{}, 1)
	o := testOptions(h, &logBuf{}, "-")
	o.Now = time.Now
	o.Watch = func(context.Context) <-chan struct{} { return watch }
	u, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go u.Run(ctx)
	published := func(want string) func() bool {
		return func() bool { return sim.Record("mydns1").IPv6 == ip(want) }
	}
	if !waitFor(5*time.Second, published("2001:db8:1::10")) {
		t.Fatal("first address not published")
	}
	srv.Close() // the path goes away
	down := time.Now()
	h.set("lan0", "2001:db8:1::20/64")
	watch <- struct{}{}
	time.Sleep(3 * time.Second)
	h.set("lan0", "2001:db8:1::30/64")
	watch <- struct{}{}
	time.Sleep(time.Until(down.Add(10 * time.Second)))
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("reopening %s: %v", addr, err)
	}
	back := time.Now()
	srv2 := &http.Server{Handler: sim}
	go srv2.Serve(l2)
	defer srv2.Close()
	if !waitFor(5*time.Second, published("2001:db8:1::30")) {
		t.Fatalf("AAAA still %v 5 s after the path returned", sim.Record("mydns1").IPv6)
	}
	el := time.Since(back)
	t.Logf("AAAA right %v after the path returned", el.Round(10*time.Millisecond))
	if el > 2*time.Second {
		t.Errorf("AAAA right %v after the path returned, want <= 2 s", el)
	}
	if st := u.Status()[0]; st.Failures != 0 || st.LastError != "" {
		t.Errorf("status after recovery %+v", st)
	}
}

func waitFor(d time.Duration, ok func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if ok() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ok()
}
