// Package bind starts a real BIND 9 `named` (Debian bind9) for tests: one
// primary zone that accepts RFC 2136 updates signed with a TSIG key, in a
// temporary directory, listening on 127.0.0.1 with a free port (or on a given
// address inside a test namespace). The server is stopped and its files
// removed when the test ends.
package bind

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// Options configure a server; the zero value is a zone "example.test." on
// 127.0.0.1 with a random port. Inside a namespace (NS set), the server is
// reached from processes in that namespace (ns.Command), not from the test
// process itself.
type Options struct {
	Zone    string        // default "example.test."
	KeyName string        // default "ddns-key."
	NS      *netnstest.NS // run inside this namespace (then Listen is required)
	Listen  string        // IPv4 address to listen on; default 127.0.0.1
	Port    int           // default: a free port (53 inside a namespace)
}

// Server is a running named.
type Server struct {
	Addr      string // host:port to send updates and queries to
	Zone      string // FQDN
	KeyName   string // FQDN
	Algorithm string // "hmac-sha256"
	Secret    string // base64
	KeyFile   string // the key in BIND key-file format
	Dir       string

	cmd  *exec.Cmd
	out  *logBuf
	done chan struct{}
}

type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Log returns what named printed so far.
func (s *Server) Log() string { return s.out.String() }

// Start starts named or skips the test when it cannot run here.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	named, err := exec.LookPath("named")
	if err != nil {
		if _, e2 := os.Stat("/usr/sbin/named"); e2 != nil {
			t.Skip("needs BIND 9 named (Debian bind9): run scripts/deps.sh")
		}
		named = "/usr/sbin/named"
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run named in a private directory")
	}
	if o.Zone == "" {
		o.Zone = "example.test."
	}
	if o.KeyName == "" {
		o.KeyName = "ddns-key."
	}
	if o.Listen == "" {
		if o.NS != nil {
			t.Fatal("bind: Listen is required inside a namespace")
		}
		o.Listen = "127.0.0.1"
	}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		port := o.Port
		if port == 0 {
			if o.NS != nil {
				port = 53
			} else if port, err = freePort(o.Listen); err != nil {
				t.Fatal(err)
			}
		}
		s, err := start(t, named, o, port)
		if err == nil {
			return s
		}
		last = err
		if o.Port != 0 || o.NS != nil {
			break
		}
	}
	t.Fatalf("bind: %v", last)
	return nil
}

func start(t testing.TB, named string, o Options, port int) (*Server, error) {
	dir := t.TempDir()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	s := &Server{
		Addr: net.JoinHostPort(o.Listen, strconv.Itoa(port)), Zone: dns.Fqdn(o.Zone), KeyName: dns.Fqdn(o.KeyName),
		Algorithm: "hmac-sha256", Secret: base64.StdEncoding.EncodeToString(secret), Dir: dir,
		out: &logBuf{}, done: make(chan struct{}),
	}
	key := fmt.Sprintf("key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", strings.TrimSuffix(s.KeyName, "."), s.Algorithm, s.Secret)
	s.KeyFile = filepath.Join(dir, "ddns.key")
	zone := strings.TrimSuffix(s.Zone, ".")
	conf := fmt.Sprintf(`options {
	directory "%[1]s";
	pid-file "%[1]s/named.pid";
	session-keyfile "%[1]s/session.key";
	managed-keys-directory "%[1]s";
	listen-on port %[2]d { %[3]s; };
	listen-on-v6 { none; };
	recursion no;
	allow-query { any; };
	dnssec-validation no;
	notify no;
};
include "%[4]s";
zone "%[5]s" {
	type primary;
	file "%[1]s/zone.db";
	allow-update { key "%[6]s"; };
};
`, dir, port, o.Listen, s.KeyFile, zone, strings.TrimSuffix(s.KeyName, "."))
	db := fmt.Sprintf("$TTL 300\n@ IN SOA ns1.%[1]s. hostmaster.%[1]s. 1 3600 600 86400 60\n@ IN NS ns1.%[1]s.\nns1 IN A 192.0.2.53\n", zone)
	for name, data := range map[string]string{"ddns.key": key, "named.conf": conf, "zone.db": db} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			return nil, err
		}
	}
	args := []string{"-g", "-c", filepath.Join(dir, "named.conf"), "-n", "1", "-4"}
	var cmd *exec.Cmd
	if o.NS != nil {
		cmd = o.NS.Command(named, args...)
	} else {
		cmd = exec.Command(named, args...)
	}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start named: %v", err)
	}
	s.cmd = cmd
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	// Ready when it answers the zone's SOA.
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("named exited: %s", lastLines(s.Log(), 8))
		default:
		}
		if s.ready(o.NS) {
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("named did not answer within 15 s: %s", lastLines(s.Log(), 8))
}

// ready asks for the zone's SOA: from this process, or with dig inside the
// namespace (its loopback is not ours).
func (s *Server) ready(ns *netnstest.NS) bool {
	if ns != nil {
		host, port, _ := net.SplitHostPort(s.Addr)
		out, err := ns.Run("dig", "+short", "+time=1", "+tries=1", "-p", port, "@"+host, s.Zone, "SOA")
		return err == nil && strings.Contains(out, "hostmaster")
	}
	m := new(dns.Msg)
	m.SetQuestion(s.Zone, dns.TypeSOA)
	c := &dns.Client{Timeout: 300 * time.Millisecond}
	r, _, err := c.Exchange(m, s.Addr)
	return err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0
}

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

func freePort(host string) (int, error) {
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp4", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp4", net.JoinHostPort(host, strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port on %s", host)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
