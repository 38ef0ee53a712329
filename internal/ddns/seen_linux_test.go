package ddns

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns/providersim"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// seenFakes is what helperSeenFakes writes after every request.
type seenFakes struct {
	MyDNS      providersim.MyDNSRecord
	Duck       providersim.DuckRecord
	Dyn        []netip.Addr
	CF         []providersim.CFRecord
	MyDNSReqs  []providersim.Request
	DuckReqs   []providersim.Request
	DynReqs    []providersim.Request
	EchoAsked  []netip.Addr
	DynQueries []string
}

// helperSeenFakes serves, on HELPER_LISTEN4 and HELPER_LISTEN6 (addresses
// without port), the internet services of the two-routers house: MyDNS on
// :80 (with /whoami, the echo), DuckDNS on :8081, dyndns2 on :8082 and
// the Cloudflare API on :8083; after each request it writes their state to
// HELPER_OUT as JSON.
func helperSeenFakes() int {
	mydns := providersim.NewMyDNS(map[string]string{"mydns1": secretPW})
	duck := providersim.NewDuckDNS(secretPW, "myhome")
	dyn := providersim.NewDynDNS2("dynuser", secretPW, "home.example.net")
	cf := providersim.NewCloudflare(secretPW, map[string]string{"example.jp": "z1"})
	out := os.Getenv("HELPER_OUT")
	var mu sync.Mutex
	var echoAsked []netip.Addr
	var dynQueries []string
	dump := func() {
		mu.Lock()
		defer mu.Unlock()
		st := seenFakes{MyDNS: mydns.Record("mydns1"), Duck: duck.Record("myhome"), Dyn: dyn.Record("home.example.net"),
			CF:        append(cf.Records("www.example.jp", "A"), cf.Records("www.example.jp", "AAAA")...),
			MyDNSReqs: mydns.Requests(), DuckReqs: duck.Requests(), DynReqs: dyn.Requests(),
			EchoAsked: echoAsked, DynQueries: dynQueries}
		b, _ := json.Marshal(st)
		_ = os.WriteFile(out+".tmp", b, 0o600)
		_ = os.Rename(out+".tmp", out)
	}
	m80 := http.NewServeMux()
	m80.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		echoAsked = append(echoAsked, providersim.Source(r))
		mu.Unlock()
		fmt.Fprintln(w, providersim.Source(r))
		dump()
	})
	m80.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { mydns.ServeHTTP(w, r); dump() })
	handlers := map[string]http.Handler{
		"80":   m80,
		"8081": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { duck.ServeHTTP(w, r); dump() }),
		"8082": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			dynQueries = append(dynQueries, r.URL.RawQuery)
			mu.Unlock()
			dyn.ServeHTTP(w, r)
			dump()
		}),
		"8083": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { cf.ServeHTTP(w, r); dump() }),
	}
	for port, h := range handlers {
		for _, host := range []string{os.Getenv("HELPER_LISTEN4"), os.Getenv("HELPER_LISTEN6")} {
			l, err := net.Listen("tcp", net.JoinHostPort(host, port))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			go func() { _ = http.Serve(l, h) }()
		}
	}
	dump()
	select {}
}

// TestSeenTwoRouters builds the article's two-routers house:
//
//	srv (192.168.1.10, stable 2001:db8:1:1::10 and temporary addresses)
//	  --lan0-- rtr2 (the PPPoE router: masquerades IPv4 to the session's
//	  203.0.113.7, routes IPv6) --wan0-- inet (MyDNS, DuckDNS, dyndns2,
//	  Cloudflare fakes and an echo on 192.0.2.80 / 2001:db8:ffff::80)
//
// The server's only IPv4 address is private, so `interface:lan0` must say
// so (log, status, dry run) and publish nothing, while `seen` publishes the
// session address on every provider: MyDNS, DuckDNS and dyndns2 with no
// address in the request, Cloudflare with the address echo_url saw.
func TestSeenTwoRouters(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	srv := netnstest.New(t, "srv")
	rtr := netnstest.New(t, "rtr2")
	inet := netnstest.New(t, "inet")
	netnstest.Veth(t, srv, "lan0", rtr, "lan0")
	netnstest.Veth(t, rtr, "wan0", inet, "a0")

	rtr.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
	rtr.MustRun("ip", "addr", "add", "192.168.1.2/24", "dev", "lan0")
	rtr.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::1/64", "dev", "lan0", "nodad")
	rtr.MustRun("ip", "addr", "add", "203.0.113.7/24", "dev", "wan0")
	rtr.MustRun("ip", "-6", "addr", "add", "2001:db8:ff::1/64", "dev", "wan0", "nodad")
	rtr.MustRun("ip", "route", "add", "default", "via", "203.0.113.1")
	rtr.MustRun("ip", "-6", "route", "add", "default", "via", "2001:db8:ff::2")
	rtr.MustRun("nft", "add table ip nat; add chain ip nat post { type nat hook postrouting priority 100; }; add rule ip nat post oifname wan0 masquerade")

	inet.MustRun("ip", "addr", "add", "203.0.113.1/24", "dev", "a0")
	inet.MustRun("ip", "-6", "addr", "add", "2001:db8:ff::2/64", "dev", "a0", "nodad")
	inet.MustRun("ip", "addr", "add", "192.0.2.80/32", "dev", "lo")
	inet.MustRun("ip", "-6", "addr", "add", "2001:db8:ffff::80/128", "dev", "lo")
	inet.MustRun("ip", "-6", "route", "add", "2001:db8:1:1::/64", "via", "2001:db8:ff::1")

	srv.MustRun("sysctl", "-qw", "net.ipv6.conf.lan0.use_tempaddr=2")
	srv.MustRun("ip", "addr", "add", "192.168.1.10/24", "dev", "lan0")
	srv.MustRun("ip", "route", "add", "default", "via", "192.168.1.2")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::10/64", "dev", "lan0", "nodad")
	srv.MustRun("ip", "-6", "addr", "add", "2001:db8:1:1::20/64", "dev", "lan0", "nodad", "mngtmpaddr", "preferred_lft", "7200", "valid_lft", "7200")
	srv.MustRun("ip", "-6", "route", "add", "default", "via", "2001:db8:1:1::1")
	if !netnstest.WaitFor(60*time.Second, func() bool {
		out, _ := srv.Run("ip", "-6", "-o", "addr", "show", "dev", "lan0", "temporary")
		return strings.Contains(out, "2001:db8:1:1:") && !strings.Contains(out, "tentative")
	}) {
		t.Fatal("the kernel made no temporary address")
	}

	dir := t.TempDir()
	stateFile := filepath.Join(dir, "fakes.json")
	server := inet.Command(os.Args[0], "-test.run=^$")
	server.Env = append(os.Environ(), helperEnv+"=seen-fakes", "HELPER_LISTEN4=192.0.2.80", "HELPER_LISTEN6=2001:db8:ffff::80", "HELPER_OUT="+stateFile)
	var serverLog logBuf
	server.Stdout, server.Stderr = &serverLog, &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	if !netnstest.WaitFor(60*time.Second, func() bool { _, err := os.Stat(stateFile); return err == nil }) {
		t.Fatalf("fakes did not start: %s", serverLog.String())
	}

	pw := writeSecret(t, dir, "secret", secretPW)
	cfgPath := filepath.Join(dir, "dualpath.yaml")
	cfgText := fmt.Sprintf(`interface: lan0
ddns:
  - provider: mydns
    username: mydns1
    password_file: %[1]s
    ipv4: seen
    ipv6: seen
    ipv4_url: http://192.0.2.80/login.html
    ipv6_url: http://[2001:db8:ffff::80]/login.html
  - provider: duckdns
    name: myhome
    token_file: %[1]s
    base_url: http://192.0.2.80:8081
    ipv4: seen
    ipv6: interface:lan0
  - provider: dyndns2
    name: home.example.net
    username: dynuser
    password_file: %[1]s
    base_url: http://192.0.2.80:8082
    ipv4: seen:lan0
    echo_url: http://192.0.2.80/whoami
  - provider: cloudflare
    name: www.example.jp
    zone: example.jp
    token_file: %[1]s
    base_url: http://192.0.2.80:8083
    ipv4: seen
    ipv6: interface:lan0
    echo_url: http://192.0.2.80/whoami
  - provider: dyndns2
    name: home.example.net
    username: dynuser
    password_file: %[1]s
    base_url: http://192.0.2.80:8082
    ipv4: interface:lan0
`, pw)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	runUpdater := func(dry bool) (string, string, error) {
		upd := srv.Command(os.Args[0], "-test.run=^$")
		upd.Env = append(os.Environ(), helperEnv+"=ddns-once", "HELPER_CONFIG="+cfgPath)
		if dry {
			upd.Env = append(upd.Env, "HELPER_DRYRUN=1")
		}
		var stdout, stderr logBuf
		upd.Stdout, upd.Stderr = &stdout, &stderr
		err := upd.Run()
		return stdout.String(), stderr.String(), err
	}
	readFakes := func() seenFakes {
		var st seenFakes
		b, _ := os.ReadFile(stateFile)
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}

	// A dry run sends nothing to a provider and claims no address it has
	// not seen; the private-only interface is named, with the fix.
	dryOut, dryErr, err := runUpdater(true)
	t.Logf("dry run:\n%s", dryOut)
	dryOut = strings.Join(strings.Fields(dryOut), " ") // lines are wrapped at 80 columns
	const hint = "lan0 has only 192.168.1.10 (private); in two-router mode use `ipv4: seen`"
	if !strings.Contains(dryOut, "A not sent: ipv4 source interface:lan0: "+hint) {
		t.Errorf("dry run does not explain the private address:\n%s%s", dryOut, dryErr)
	}
	if strings.Contains(dryOut, "192.168.1.10, expecting") || strings.Contains(dryOut, "myip=192.168.1.10") {
		t.Errorf("dry run claims it would publish the private address:\n%s", dryOut)
	}
	if !strings.Contains(dryOut, "mydns mydns1: would send: GET http://192.0.2.80/login.html (Basic mydns1:***) from 192.168.1.10 by the default route; MyDNS records the address it arrives from (known when it answers)") {
		t.Errorf("dry run does not describe the seen MyDNS request:\n%s", dryOut)
	}
	if !strings.Contains(dryOut, "(echo_url sees 203.0.113.7)") {
		t.Errorf("dry run does not show what the echo saw:\n%s", dryOut)
	}
	if err == nil {
		t.Error("dry run of a record that cannot publish succeeded")
	}
	st := readFakes()
	if n := len(st.MyDNSReqs) + len(st.DuckReqs) + len(st.DynReqs) + len(st.CF); n != 0 {
		t.Fatalf("the dry run sent %d requests to providers", n)
	}

	stdout, stderr, err := runUpdater(false)
	if err == nil {
		t.Error("the pass succeeded although the interface:lan0 record has only a private address")
	}
	if strings.Contains(stdout+stderr, secretPW) {
		t.Fatal("updater output leaks the secret")
	}
	if !strings.Contains(stderr, hint) {
		t.Errorf("the log does not explain the private address:\n%s", stderr)
	}
	st = readFakes()
	const session, stable = "203.0.113.7", "2001:db8:1:1::10"
	if st.MyDNS.IPv4.String() != session || st.MyDNS.IPv6.String() != stable {
		t.Errorf("MyDNS recorded A %s AAAA %s, want %s and %s (requests %+v)", st.MyDNS.IPv4, st.MyDNS.IPv6, session, stable, st.MyDNSReqs)
	}
	if st.Duck.IPv4.String() != session || st.Duck.IPv6.String() != stable {
		t.Errorf("DuckDNS holds A %s AAAA %s, want %s and %s", st.Duck.IPv4, st.Duck.IPv6, session, stable)
	}
	if len(st.Dyn) != 1 || st.Dyn[0].String() != session {
		t.Errorf("dyndns2 holds %v, want [%s]", st.Dyn, session)
	}
	for _, q := range st.DynQueries {
		if strings.Contains(q, "myip") {
			t.Errorf("a dyndns2 request carried an address: %s", q)
		}
	}
	for _, r := range st.DuckReqs {
		if r.Source.Is4() && r.Source.String() != session {
			t.Errorf("a DuckDNS request came from %s", r.Source)
		}
	}
	cf := map[string]string{}
	for _, r := range st.CF {
		cf[r.Type] = r.Content
	}
	if cf["A"] != session || cf["AAAA"] != stable {
		t.Errorf("Cloudflare holds %v, want A %s AAAA %s", cf, session, stable)
	}
	for _, a := range st.EchoAsked {
		if a.String() != session && a.String() != stable {
			t.Errorf("echo_url was asked from %s, not through the seen path", a)
		}
	}

	var status []RecordStatus
	if err := json.Unmarshal([]byte(stdout), &status); err != nil || len(status) != 5 {
		t.Fatalf("status %s (%v)", stdout, err)
	}
	for _, s := range status[:4] {
		if s.IPv4 != session || s.IPv4Problem != "" || s.LastError != "" {
			t.Errorf("%s: status A %q problem %q error %q, want %s", s.Record, s.IPv4, s.IPv4Problem, s.LastError, session)
		}
	}
	if s := status[4]; s.IPv4 != "" || !strings.Contains(s.IPv4Problem, hint) {
		t.Errorf("interface:lan0 record: status A %q problem %q, want nothing published and %q", s.IPv4, s.IPv4Problem, hint)
	}
}

// helperDDNSRun runs the updater of HELPER_CONFIG as the daemon does, until
// it is killed; logs go to stderr.
func helperDDNSRun() int {
	cfg, err := config.Load(os.Getenv("HELPER_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	u, err := New(cfg, Options{Logger: log, StateDir: "-"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	_ = u.Run(context.Background())
	return 0
}

// TestSeenPathWatchNoticesRouterReconnect: the second router's session
// comes back with another address; nothing on the server changes, but the
// updater's watched connection through the router breaks (its NAT forgot
// it) and the A record follows within seconds. A record without echo_url
// (no watch) is the control: it still holds the old address then, since
// its next check is an interval (5 min) away.
func TestSeenPathWatchNoticesRouterReconnect(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	srv := netnstest.New(t, "srv")
	rtr := netnstest.New(t, "rtr2")
	inet := netnstest.New(t, "inet")
	netnstest.Veth(t, srv, "lan0", rtr, "lan0")
	netnstest.Veth(t, rtr, "wan0", inet, "a0")
	rtr.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1")
	rtr.MustRun("ip", "addr", "add", "192.168.1.2/24", "dev", "lan0")
	rtr.MustRun("ip", "addr", "add", "203.0.113.7/24", "dev", "wan0")
	rtr.MustRun("ip", "route", "add", "default", "via", "203.0.113.1")
	rtr.MustRun("nft", "add table ip nat; add chain ip nat post { type nat hook postrouting priority 100; }; add rule ip nat post oifname wan0 masquerade")
	inet.MustRun("ip", "addr", "add", "203.0.113.1/24", "dev", "a0")
	inet.MustRun("ip", "addr", "add", "192.0.2.80/32", "dev", "lo")
	inet.MustRun("ip", "-6", "addr", "add", "2001:db8:ffff::80/128", "dev", "lo")
	// No IPv6 on the server: no address events (DAD) that would make the
	// updater look again by themselves.
	srv.MustRun("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.lan0.disable_ipv6=1")
	srv.MustRun("ip", "addr", "add", "192.168.1.10/24", "dev", "lan0")
	srv.MustRun("ip", "route", "add", "default", "via", "192.168.1.2")

	dir := t.TempDir()
	stateFile := filepath.Join(dir, "mydns.json")
	server := inet.Command(os.Args[0], "-test.run=^$")
	server.Env = append(os.Environ(), helperEnv+"=mydns-server", "HELPER_ACCOUNTS=watched:"+secretPW+",control:"+secretPW,
		"HELPER_LISTEN=192.0.2.80:80", "HELPER_OUT="+stateFile)
	var serverLog logBuf
	server.Stdout, server.Stderr = &serverLog, &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })
	if !netnstest.WaitFor(10*time.Second, func() bool { _, err := os.Stat(stateFile); return err == nil }) {
		t.Fatalf("fake MyDNS did not start: %s", serverLog.String())
	}
	pw := writeSecret(t, dir, "pw", secretPW)
	cfgPath := filepath.Join(dir, "dualpath.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(`interface: lan0
ddns:
  - provider: mydns
    username: watched
    password_file: %[1]s
    ipv4: seen
    ipv4_url: http://192.0.2.80/login.html
    echo_url: http://192.0.2.80/whoami
  - provider: mydns
    username: control
    password_file: %[1]s
    ipv4: seen
    ipv4_url: http://192.0.2.80/login.html
`, pw)), 0o600); err != nil {
		t.Fatal(err)
	}
	upd := srv.Command(os.Args[0], "-test.run=^$")
	upd.Env = append(os.Environ(), helperEnv+"=ddns-run", "HELPER_CONFIG="+cfgPath)
	var updLog logBuf
	upd.Stdout, upd.Stderr = &updLog, &updLog
	if err := upd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = upd.Process.Kill(); _ = upd.Wait() })
	records := func() map[string]providersim.MyDNSRecord {
		var st helperState
		b, _ := os.ReadFile(stateFile)
		_ = json.Unmarshal(b, &st)
		return st.Records
	}
	if !netnstest.WaitFor(15*time.Second, func() bool {
		r := records()
		return r["watched"].IPv4.String() == "203.0.113.7" && r["control"].IPv4.String() == "203.0.113.7"
	}) {
		t.Fatalf("first publication: %+v\n%s", records(), updLog.String())
	}
	// Let the watch settle into its idle connection.
	if !netnstest.WaitFor(10*time.Second, func() bool {
		out, _ := srv.Run("ss", "-tnoH", "state", "established", "dst", "192.0.2.80")
		return strings.Contains(out, "keepalive")
	}) {
		t.Fatalf("no watched connection with keepalive:\n%s", updLog.String())
	}

	time.Sleep(2 * time.Second) // quiet: nothing but the watch can make the updater look again
	// The router reconnects with another address (its NAT mappings go
	// with the old address).
	start := time.Now()
	rtr.MustRun("ip", "addr", "del", "203.0.113.7/24", "dev", "wan0")
	rtr.MustRun("ip", "addr", "add", "203.0.113.8/24", "dev", "wan0")
	rtr.MustRun("ip", "route", "replace", "default", "via", "203.0.113.1")
	if !netnstest.WaitFor(30*time.Second, func() bool { return records()["watched"].IPv4.String() == "203.0.113.8" }) {
		t.Fatalf("after the router's reconnect MyDNS still has %v\n%s", records()["watched"].IPv4, updLog.String())
	}
	took := time.Since(start)
	t.Logf("A record followed the router's new address in %.1f s (watch: keepalive idle %s)", took.Seconds(), seenWatchIdle)
	if !strings.Contains(updLog.String(), "seen path watch broke; checking now\" record=\"mydns watched\" v6=false err=\"read tcp4 192.168.1.10:") {
		t.Errorf("the watch did not report the broken path:\n%s", updLog.String())
	}
	if got := records()["control"].IPv4.String(); got != "203.0.113.7" {
		t.Errorf("the control record without echo_url already moved to %s: the test does not show the watch at work", got)
	}
}
