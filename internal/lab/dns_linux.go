package lab

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/ddns/providersim"
)

// DNS in the lab: a real BIND 9 in the ISP, authoritative for the lab zone
// and accepting RFC 2136 updates signed with a TSIG key; in front of it a
// MyDNS-compatible notification service (package providersim's MyDNS, which
// records each request's source address) that writes what it records into
// BIND. So the server's DDNS goes the way it goes on a real line: an HTTP
// request through the right path, and a name that really resolves.

// MyDNSMasterID is the lab's MyDNS account.
const MyDNSMasterID = "mydns-lab"

func init() {
	NodeCommands["mydns"] = nodeMyDNS
}

func (l *Lab) dnsDir() string { return filepath.Join(l.Dir, "named") }

// secretFile writes a new random secret (base64) to path, mode 0600.
func newSecret(path string, n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, os.WriteFile(path, []byte(s+"\n"), 0o600)
}

func (l *Lab) upDNS(ctx context.Context) error {
	d := l.dnsDir()
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	keyFile := filepath.Join(d, "lab-ddns.key")
	key := fmt.Sprintf("key \"lab-ddns\" {\n\talgorithm hmac-sha256;\n\tsecret \"%s\";\n};\n", base64.StdEncoding.EncodeToString(secret))
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		return err
	}
	zone := strings.TrimSuffix(Zone, ".")
	conf := fmt.Sprintf(`// dualpath lab: the ISP's authoritative DNS for %[2]s
options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on { %[3]s; };
	listen-on-v6 { %[4]s; };
	recursion no;
	allow-query { any; };
	dnssec-validation no;
	notify no;
};
include "%[5]s";
zone "%[2]s" {
	type primary;
	file "%[1]s/zone.db";
	allow-update { key "lab-ddns"; };
};
`, d, zone, DNS4, DNS6, keyFile)
	db := fmt.Sprintf("$TTL 60\n@ IN SOA ns1.%[1]s. hostmaster.%[1]s. 1 3600 600 86400 30\n@ IN NS ns1.%[1]s.\nns1 IN A %[2]s\nns1 IN AAAA %[3]s\n", zone, DNS4, DNS6)
	if err := os.WriteFile(filepath.Join(d, "named.conf"), []byte(conf), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d, "zone.db"), []byte(db), 0o644); err != nil {
		return err
	}
	if _, err := l.start(NodeISP, "named", "named", "-g", "-n", "1", "-c", filepath.Join(d, "named.conf")); err != nil {
		return err
	}
	if !waitFor(ctx, 15*time.Second, func() bool {
		out, err := l.In(NodeISP, "dig", "+short", "+time=1", "+tries=1", "@"+DNS4.String(), "SOA", Zone)
		return err == nil && strings.Contains(out, "hostmaster")
	}) {
		return fmt.Errorf("BIND does not answer for %s (log: %s/log/isp-named.log)", Zone, l.Dir)
	}

	// The MyDNS account: MasterID, password (file, 0600), the name it owns.
	pw, err := newSecret(filepath.Join(l.Dir, "mydns.pass"), 12)
	if err != nil {
		return err
	}
	accounts := filepath.Join(d, "mydns-accounts")
	if err := os.WriteFile(accounts, []byte(fmt.Sprintf("%s %s %s\n", MyDNSMasterID, pw, Name)), 0o600); err != nil {
		return err
	}
	if _, err := l.startNode(NodeISP, "mydns", "mydns",
		"--listen", netip.AddrPortFrom(MyDNS4, 80).String(), "--listen", netip.AddrPortFrom(MyDNS6, 80).String(),
		"--accounts", accounts, "--dns", netip.AddrPortFrom(DNS4, 53).String(), "--zone", Zone, "--key", keyFile); err != nil {
		return err
	}
	return l.waitListen(ctx, NodeISP, "tcp", 80)
}

// lookup asks the ISP's DNS from the ISP for name's records of type t.
func (l *Lab) lookup(ctx context.Context, t, name string) ([]netip.Addr, error) {
	out, err := l.InCtx(ctx, NodeISP, "dig", "+short", "+time=1", "+tries=2", "@"+DNS4.String(), t, name)
	if err != nil {
		return nil, err
	}
	var as []netip.Addr
	for _, f := range strings.Fields(out) {
		if a, err := netip.ParseAddr(f); err == nil {
			as = append(as, a)
		}
	}
	return as, nil
}

// mydnsBridge serves MyDNS's notification API and writes every recorded
// change into the authoritative server with RFC 2136.
type mydnsBridge struct {
	sim   *providersim.MyDNS
	names map[string]string // MasterID -> DNS name
	dns   func(name string) *ddns.RFC2136
	mu    sync.Mutex
	sent  map[string]providersim.MyDNSRecord
	gen   map[string]int // per account: bumped by every accepted notification
}

func (b *mydnsBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ip" {
		// An address echo service, like the ones updaters ask which
		// address their requests come from.
		fmt.Fprintln(w, providersim.Source(r))
		return
	}
	b.sim.ServeHTTP(w, r)
	id, _, _ := r.BasicAuth()
	if id == "" {
		id = r.URL.Query().Get("MID")
	}
	name, ok := b.names[id]
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	// Every accepted notification is written, changed or not, as MyDNS
	// does: a record lost from the zone comes back with the next one.
	rec := b.sim.Record(id)
	u := ddns.Update{IPv4: rec.IPv4, IPv6: rec.IPv6}
	if !u.IPv4.IsValid() && !u.IPv6.IsValid() {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := b.dns(name).Update(ctx, u); err != nil {
		// Accepted but not yet in DNS (the lab's BIND is down): a real
		// provider publishes once its DNS is back; so does the lab's.
		fmt.Fprintf(os.Stderr, "mydns: update %s in DNS: %v (retrying)\n", name, err)
		b.gen[id]++
		go b.retry(id, name, b.gen[id], u)
		return
	}
	fmt.Fprintf(os.Stderr, "mydns: %s by %s from %s: A %v AAAA %v\n", name, r.URL.Path, providersim.Source(r), rec.IPv4, rec.IPv6)
	b.gen[id]++
	b.sent[id] = rec
}

// retry writes u into DNS every second until it succeeds or a newer
// notification for id superseded it.
func (b *mydnsBridge) retry(id, name string, gen int, u ddns.Update) {
	for {
		time.Sleep(time.Second)
		b.mu.Lock()
		if b.gen[id] != gen {
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := b.dns(name).Update(ctx, u)
		cancel()
		if err == nil {
			fmt.Fprintf(os.Stderr, "mydns: %s: A %v AAAA %v (after retries)\n", name, u.IPv4, u.IPv6)
			return
		}
	}
}

type listFlag []string

func (f *listFlag) String() string     { return strings.Join(*f, ",") }
func (f *listFlag) Set(s string) error { *f = append(*f, s); return nil }

func nodeMyDNS(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("mydns", flag.ContinueOnError)
	var listen listFlag
	fs.Var(&listen, "listen", "address:port to serve on (repeatable)")
	accounts := fs.String("accounts", "", "file of lines: MASTERID PASSWORD DNSNAME")
	server := fs.String("dns", "", "authoritative server host:port")
	zone := fs.String("zone", "", "zone")
	keyFile := fs.String("key", "", "TSIG key file (BIND format)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := ddns.LoadTSIGKey(*keyFile)
	if err != nil {
		return err
	}
	f, err := os.Open(*accounts)
	if err != nil {
		return err
	}
	pw, names := map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) == 3 {
			pw[fl[0]], names[fl[0]] = fl[1], fl[2]
		}
	}
	f.Close()
	b := &mydnsBridge{
		sim: providersim.NewMyDNS(pw), names: names, sent: map[string]providersim.MyDNSRecord{}, gen: map[string]int{},
		dns: func(name string) *ddns.RFC2136 {
			return &ddns.RFC2136{Server: *server, Zone: *zone, Name: name, TTL: 30, Key: key, Timeout: 5 * time.Second}
		},
	}
	if len(listen) == 0 {
		return errors.New("mydns: --listen is required")
	}
	// SIGUSR1: answer every notification with HTTP 500 (an outage of the
	// service, for lab chaos); SIGUSR2: answer normally again.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGUSR1 {
				b.sim.Fail(providersim.Fault{Status: 500, N: 1 << 30})
				fmt.Fprintln(os.Stderr, "mydns: answering 500 (outage)")
			} else {
				b.sim.Fail(providersim.Fault{})
				fmt.Fprintln(os.Stderr, "mydns: answering normally")
			}
		}
	}()
	errc := make(chan error, len(listen))
	for _, a := range listen {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
		go func() { <-ctx.Done(); srv.Close() }()
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}
