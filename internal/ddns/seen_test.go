package ddns

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

func TestValidateSeen(t *testing.T) {
	cfg := loadConfig(t, `ddns:
  - provider: mydns
    username: m1
    password_file: /etc/dualpath/mydns.pass
    direct_ip: true
    ipv4: seen
  - provider: rfc2136
    server: 192.0.2.53:53
    zone: example.jp.
    name: www.example.jp.
    tsig_key_file: /etc/dualpath/k.key
    ipv4: seen:enp1s0
  - provider: duckdns
    name: myhome
    token_file: /etc/dualpath/duck.token
    ipv4: seen:enp1s0
    ipv6: seen:enp1s0
  - provider: dyndns2
    name: home.example.net
    username: u
    password_file: /etc/dualpath/dyn.pass
    ipv4: seen:enp1s0
    ipv6: interface:enp1s0
    echo_url: https://checkip.example/
  - provider: cloudflare
    name: www.example.jp
    token_file: /etc/dualpath/cf.token
    ipv4: interface:enp1s0
    echo_url: https://checkip.example/
  - provider: cloudflare
    name: www.example.jp
    token_file: /etc/dualpath/cf.token
    ipv4: seen:enp1s0
    echo_url: http://[2001:db8::80]/ip
`)
	err := ValidateConfig(cfg)
	if err == nil {
		t.Fatal("no error")
	}
	text := err.Error()
	for _, want := range []string{
		"ddns[0].ipv4: seen sends from the interface's own address: set the top-level interface: or write seen:NAME",
		"ddns[0].direct_ip: direct_ip sends explicit addresses, but seen means MyDNS records the address the request comes from: remove direct_ip",
		"ddns[1].echo_url: missing: provider rfc2136 with a seen source needs echo_url",
		"ddns[2].ipv6: DuckDNS detects only IPv4 from the request",
		"ddns[3].ipv4: dyndns2 records the request's address only for the request's own family",
		"ddns[4].echo_url: echo_url is used only by seen sources",
		"ddns[5].echo_url: http://[2001:db8::80]/ip is an address of the other family",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors do not contain %q:\n%s", want, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "ddns[3].echo_url") || strings.Contains(line, "ddns[2].echo_url") {
			t.Errorf("unexpected error: %s", line)
		}
	}

	modes := loadConfig(t, `interface: enp1s0
pppoe:
  username: u@example.jp
  password_file: /etc/dualpath/pppoe.pass
ddns:
  - provider: mydns
    username: m1
    password_file: /etc/dualpath/mydns.pass
    ipv4: seen
  - provider: mydns
    username: m2
    password_file: /etc/dualpath/mydns.pass
    ipv4: interface:enp1s0
plan:
  mode: two-routers
`)
	err = ValidateConfig(modes)
	for _, want := range []string{
		"ddns[0].ipv4: seen sends by the normal route, which is MAP-E when this server holds the PPPoE session",
		"ddns[1].ipv4: in two-routers mode the server has only a private IPv4 address behind the PPPoE router: use ipv4: seen",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors do not contain %q:\n%v", want, err)
		}
	}

	// The tunnel routes only what leaves from the fixed address: seen
	// would go out by MAP-E.
	tunnel := loadConfig(t, `interface: enp1s0
tunnel:
  br: 2001:db8:ff::1
  interface_id: ::c6:3364:7b00:0
  ipv4: 198.51.100.7
ddns:
  - provider: mydns
    username: m1
    password_file: /etc/dualpath/mydns.pass
    ipv4: seen
  - provider: mydns
    username: m2
    password_file: /etc/dualpath/mydns.pass
    ipv4: tunnel
    ipv6: seen
`)
	err = ValidateConfig(tunnel)
	want := "ddns[0].ipv4: seen sends by the normal route, which is MAP-E: only traffic from the fixed address goes through the tunnel (the service would record the shared address): use ipv4: tunnel"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("errors do not contain %q:\n%v", want, err)
	} else if es := err.(config.Errors); len(es) != 1 || !strings.Contains(es[0].In(msg.Japanese), "「ipv4: tunnel」を使ってください") {
		t.Errorf("want only ddns[0].ipv4 refused, with its Japanese:\n%v", es.In(msg.Japanese))
	}

	ok := loadConfig(t, `interface: enp1s0
ddns:
  - provider: mydns
    username: m1
    password_file: /etc/dualpath/mydns.pass
    ipv4: seen
    ipv6: seen
  - provider: cloudflare
    name: www.example.jp
    token_file: /etc/dualpath/cf.token
    ipv4: seen
    ipv6: seen
    echo_url: https://checkip.example/
`)
	if err := ValidateConfig(ok); err != nil {
		t.Fatal(err)
	}
}

func TestSeenLocal(t *testing.T) {
	p := func(s string, f hostnet.AddrFlags) hostnet.Addr {
		return hostnet.Addr{Prefix: netip.MustParsePrefix(s), Flags: f, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	}
	addrs := []hostnet.Addr{
		p("192.168.1.11/24", hostnet.AddrSecondary), p("192.168.1.10/24", 0), p("fe80::1/64", 0),
		p("2001:db8:1:1:aaaa::1/64", hostnet.AddrTemporary), p("2001:db8:1:1::10/64", hostnet.AddrPermanent),
	}
	if a, err := SeenLocal(addrs, false, V6Choice{}); err != nil || a.String() != "192.168.1.10" {
		t.Errorf("IPv4: %v %v, want the primary private address 192.168.1.10", a, err)
	}
	if a, err := SeenLocal(addrs[:1], false, V6Choice{}); err != nil || a.String() != "192.168.1.11" {
		t.Errorf("IPv4 secondary only: %v %v", a, err)
	}
	if a, err := SeenLocal(addrs, true, V6Choice{}); err != nil || a.String() != "2001:db8:1:1::10" {
		t.Errorf("IPv6: %v %v, want the stable 2001:db8:1:1::10", a, err)
	}
	if _, err := SeenLocal(addrs, true, V6Choice{Suffix: netip.MustParseAddr("::99")}); err == nil || !strings.Contains(err.Error(), "not on the interface") {
		t.Errorf("suffix not on the interface: %v", err)
	}
	if _, err := SeenLocal(addrs[2:], false, V6Choice{}); err == nil {
		t.Error("no IPv4 address: no error")
	}
}

// TestSeenBlindOncePerInterval: without echo_url the notification is the
// check, so it is sent once per interval, not on every address event.
func TestSeenBlindOncePerInterval(t *testing.T) {
	r := &record{interval: 5 * time.Minute}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	blind := resolved{fresh: true, seen: true}
	a := netip.MustParseAddr("203.0.113.7")
	echoed := resolved{fresh: true, seen: true, addr: a}
	for _, c := range []struct {
		name  string
		f     resolved
		st    recordState
		force bool
		due   bool
	}{
		{"never published", blind, recordState{}, false, true},
		{"just published", blind, recordState{IPv4: a, LastUpdate: now.Add(-time.Minute)}, false, false},
		{"just published, one-shot run", blind, recordState{IPv4: a, LastUpdate: now.Add(-time.Minute)}, true, true},
		{"only the other family published", blind, recordState{IPv6: netip.MustParseAddr("2001:db8::10"), LastUpdate: now.Add(-time.Minute)}, false, true},
		{"interval passed", blind, recordState{IPv4: a, LastUpdate: now.Add(-5 * time.Minute)}, false, true},
		{"last attempt failed", blind, recordState{IPv4: a, LastUpdate: now.Add(-time.Minute), Failures: 1}, false, true},
		{"echo knows the address", echoed, recordState{}, false, false},
		{"source failed", resolved{seen: true}, recordState{}, true, false},
	} {
		if got := seenBlindDue(r, c.f, resolved{}, c.st, now, c.force); got != c.due {
			t.Errorf("%s: due %v, want %v", c.name, got, c.due)
		}
	}
}

// TestSeenRefusesWhatTheProviderRecorded: a seen address is known only
// after the provider recorded it; the updater still refuses to count a
// recorded address that a guard refuses (here loopback, which is what a
// provider on this machine sees) and says so.
func TestSeenRefusesWhatTheProviderRecorded(t *testing.T) {
	sim := providersim.NewMyDNS(map[string]string{"m1": secretPW})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	h := newFakeHost()
	cfg := loadConfig(t, "interface: lan0\n")
	var logs logBuf
	u := &Updater{cfg: cfg, opts: testOptions(h, &logs, "-")}
	m := &MyDNS{MasterID: "m1", Password: secretPW, IPv4URL: srv.URL + "/login.html"}
	lo := netip.MustParseAddr("127.0.0.1")
	_, err := u.seenUpdate(context.Background(), m, SeenUpdate{Update: Update{IPv4Local: lo}, Seen4: true})
	if err == nil || !strings.Contains(err.Error(), "mydns recorded the request's address 127.0.0.1, which must not be published: loopback address") || KindOf(err) != KindVerify {
		t.Fatalf("err %v", err)
	}
	if reqs := sim.Requests(); len(reqs) != 1 || reqs[0].Source != lo || !reqs[0].OK {
		t.Errorf("requests %+v", reqs)
	}
	// An echo that saw another address than the provider recorded.
	_, err = u.seenUpdate(context.Background(), m, SeenUpdate{Update: Update{IPv4: netip.MustParseAddr("203.0.113.7"), IPv4Local: lo}, Seen4: true})
	if err == nil || KindOf(err) != KindVerify || !strings.Contains(err.Error(), "not 203.0.113.7") {
		t.Fatalf("err %v", err)
	}
}

// TestSeenMAPEGuard: a seen address that is this line's MAP-E shared IPv4
// address means the request left by the IPoE router: refused, with the fix.
func TestSeenMAPEGuard(t *testing.T) {
	h := newFakeHost()
	// v6プラス: 240b:10:1234:5600::/56 is 106.72.18.52 (README example).
	h.set("enp1s0", "192.168.1.10/24", "240b:10:1234:5600::10/64")
	cfg := loadConfig(t, `interface: enp1s0
ddns:
  - provider: mydns
    username: m1
    password_file: /etc/dualpath/mydns.pass
    ipv4: seen
`)
	var logs logBuf
	u := &Updater{cfg: cfg, opts: testOptions(h, &logs, "-")}
	err := u.checkSeen(netip.MustParseAddr("106.72.18.52"), netip.MustParseAddr("192.168.1.10"), false)
	if err == nil || !strings.Contains(err.Error(), "requests from 192.168.1.10 leave by the IPoE router") ||
		!strings.Contains(err.Error(), "point the server's IPv4 default route at the PPPoE router") {
		t.Fatalf("err %v", err)
	}
	if err := u.checkSeen(netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("192.168.1.10"), false); err != nil {
		t.Fatalf("a PPPoE address refused: %v", err)
	}
}

// TestDuckDNSSimDetection holds the fake to DuckDNS's spec: a request with
// neither ip nor ipv6 records the IPv4 address it comes from; with ipv6
// given nothing is detected; IPv6 is never detected; ip may carry IPv6.
func TestDuckDNSSimDetection(t *testing.T) {
	sim := providersim.NewDuckDNS(secretToken, "myhome")
	get := func(remote, query string) string {
		req := httptest.NewRequest(http.MethodGet, "/update?domains=myhome&token="+secretToken+"&verbose=true"+query, nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		sim.ServeHTTP(w, req)
		return w.Body.String()
	}
	if body := get("203.0.113.7:5555", ""); !strings.HasPrefix(body, "OK\n203.0.113.7\n\nUPDATED") {
		t.Errorf("detect: %q", body)
	}
	get("203.0.113.8:5555", "&ipv6=2001:db8::10")
	if r := sim.Record("myhome"); r.IPv4.String() != "203.0.113.7" || r.IPv6.String() != "2001:db8::10" {
		t.Errorf("with ipv6 the IPv4 address was detected, or ipv6 lost: %+v", r)
	}
	get("[2001:db8::99]:5555", "")
	if r := sim.Record("myhome"); r.IPv6.String() != "2001:db8::10" || r.IPv4.String() != "203.0.113.7" {
		t.Errorf("an IPv6 source was detected: %+v", r)
	}
	get("203.0.113.9:5555", "&ip=2001:db8::11")
	if r := sim.Record("myhome"); r.IPv6.String() != "2001:db8::11" || r.IPv4.String() != "203.0.113.7" {
		t.Errorf("ip=IPv6: %+v", r)
	}
	a, err := ParseDuckDNSAnswer([]byte("OK\n203.0.113.7\n2001:db8::10\nNOCHANGE"))
	if err != nil || a.IPv4.String() != "203.0.113.7" || a.IPv6.String() != "2001:db8::10" || a.Changed != "NOCHANGE" {
		t.Errorf("parse: %+v %v", a, err)
	}
}

// TestPrivateOnlyDryRun: an interface source with only private IPv4 says
// so in the dry run and in status, names the fix, and the dry run claims
// nothing for the A record.
func TestPrivateOnlyDryRun(t *testing.T) {
	h := newFakeHost()
	h.set("enp1s0", "192.168.1.10/24", "2001:db8:1:1::10/64")
	cfg := loadConfig(t, `interface: enp1s0
ddns:
  - provider: dyndns2
    name: home.example.net
    username: u
    password_file: /etc/dualpath/dyn.pass
    ipv4: interface:enp1s0
    ipv6: interface:enp1s0
`)
	var logs logBuf
	var out bytes.Buffer
	opts := testOptions(h, &logs, "-")
	opts.DryRun, opts.Out = true, &out
	prov := &DynDNS2{Hostname: "home.example.net", Username: "u", Password: "x", BaseURL: "http://192.0.2.1"}
	u, err := newWithProvider(cfg, opts, prov)
	if err != nil {
		t.Fatal(err)
	}
	_ = u.RunOnce(context.Background())
	const hint = "enp1s0 has only 192.168.1.10 (private); in two-router mode use `ipv4: seen`"
	if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "A not sent: ipv4 source interface:enp1s0: "+hint) {
		t.Errorf("dry run:\n%s", out.String())
	}
	if strings.Contains(out.String(), "192.168.1.10,") || strings.Contains(out.String(), "myip=192.168.1.10") {
		t.Errorf("dry run claims the private address:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "myip=2001%3Adb8%3A1%3A1%3A%3A10") {
		t.Errorf("dry run lost the AAAA:\n%s", out.String())
	}
	if !strings.Contains(logs.String(), hint) {
		t.Errorf("log:\n%s", logs.String())
	}
	if st := u.Status()[0]; !strings.Contains(st.IPv4Problem, hint) || st.IPv6Problem != "" {
		t.Errorf("status problems %q / %q", st.IPv4Problem, st.IPv6Problem)
	}
}

// newWithProvider builds an updater whose single record uses prov (no
// secret files needed).
func newWithProvider(cfg *config.Config, opts Options, prov Provider) (*Updater, error) {
	d := cfg.DDNS[0]
	cfg.DDNS = nil
	u, err := New(cfg, opts)
	if err != nil {
		return nil, err
	}
	u.recs = append(u.recs, &record{id: "t", label: d.Provider + " " + d.Name, cfg: d, prov: prov, v4: d.IPv4, v6: d.IPv6,
		choice: v6Choice(d), interval: DefaultInterval})
	return u, nil
}

// A dry run under a Japanese locale is Japanese: why a family is not sent,
// the request (as it would go out, whole), where it goes from.
func TestDryRunInJapanese(t *testing.T) {
	h := newFakeHost()
	h.set("enp1s0", "192.168.1.10/24", "2001:db8:1:1::10/64")
	cfg := loadConfig(t, `interface: enp1s0
ddns:
  - provider: dyndns2
    name: home.example.net
    username: u
    password_file: /etc/dualpath/dyn.pass
    ipv4: interface:enp1s0
    ipv6: interface:enp1s0
`)
	var logs logBuf
	var out bytes.Buffer
	opts := testOptions(h, &logs, "-")
	opts.DryRun, opts.Out, opts.Lang = true, &out, msg.Japanese
	prov := &DynDNS2{Hostname: "home.example.net", Username: "u", Password: "x", BaseURL: "http://192.0.2.1"}
	u, err := newWithProvider(cfg, opts, prov)
	if err != nil {
		t.Fatal(err)
	}
	_ = u.RunOnce(context.Background())
	t.Logf("dry run:\n%s", out.String())
	flat := strings.Join(strings.Fields(out.String()), "")
	for _, want := range []string{"Aは送りません", "プライベート", "送る内容:", "myip=2001%3Adb8%3A1%3A1%3A%3A10"} {
		if !strings.Contains(flat, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
	// The request lines are what would be sent, whole (a URL is not
	// broken); every other line is Japanese within 80 columns.
	var text []string
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if strings.HasPrefix(l, "    GET ") {
			continue
		}
		text = append(text, l)
	}
	msgtest.Japanese(t, strings.Join(text, "\n"))
}
