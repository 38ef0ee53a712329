package lab

import (
	"github.com/dualpath/dualpath/internal/msg"
	"strconv"

	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/lab/vantage"
)

// The PPPoE side of the lab: which node holds the session (the server, or
// the second router in the two-routers scenario), its TUN, and the checks
// that need the session.

const (
	// SessionTUN is the TUN device of the PPPoE session (the daemon's default).
	SessionTUN = config.DefaultTUN
	// PPPoEUser is the lab's PPPoE account (the password is in a file).
	PPPoEUser = "server@lab.example"
)

// ExposedTCP are the ports the server opens on its PPPoE address.
var ExposedTCP = []uint16{80, 443}

// ExposedUDP are the UDP ports the server opens on its PPPoE address: none
// (its config lists no expose.udp).
var ExposedUDP []uint16

// sessionNode is the node holding the PPPoE session.
func (l *Lab) sessionNode() string {
	if l.Scenario == ScenarioTwoRouters {
		return NodeRouter2
	}
	return NodeServer
}

// sessionAddr reads the session's address from its TUN device.
func (l *Lab) sessionAddr() (netip.Addr, error) {
	node := l.sessionNode()
	out, err := l.In(node, "ip", "-4", "-o", "addr", "show", "dev", SessionTUN)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no PPPoE session in %s (%s missing)", node, SessionTUN)
	}
	f := strings.Fields(out)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "inet" {
			p, err := netip.ParsePrefix(f[i+1])
			if err == nil {
				return p.Addr(), nil
			}
			if a, err := netip.ParseAddr(f[i+1]); err == nil {
				return a, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("the PPPoE session in %s has no address yet", node)
}

// waitSession waits for the session to be up with an address other than
// not.
func (l *Lab) waitSession(ctx context.Context, d time.Duration, not netip.Addr) (netip.Addr, error) {
	var a netip.Addr
	var err error
	ok := waitFor(ctx, d, func() bool {
		a, err = l.sessionAddr()
		return err == nil && a != not && PPPoEPool.Contains(a)
	})
	if !ok {
		if err == nil {
			err = fmt.Errorf("the session address stayed %s", a)
		}
		return netip.Addr{}, err
	}
	return a, nil
}

// waitRecord waits until the lab zone's record of type t for Name is want.
func (l *Lab) waitRecord(ctx context.Context, d time.Duration, t string, want netip.Addr) ([]netip.Addr, bool) {
	var got []netip.Addr
	ok := waitFor(ctx, d, func() bool {
		got, _ = l.lookup(ctx, t, Name)
		return len(got) == 1 && got[0] == want
	})
	return got, ok
}

func addrsString(as []netip.Addr) string {
	if len(as) == 0 {
		return "none"
	}
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	return strings.Join(s, ",")
}

func checkRecords(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	sess, err := l.waitSession(ctx, 20*time.Second, netip.Addr{})
	if err != nil {
		return msg.T("a session address in %s", "%s のセッションのアドレス", PPPoEPool), msg.Same(err.Error()), false
	}
	exp := msg.T("A %s, AAAA %s", "A %s、AAAA %s", sess, ServerIPv6())
	a, okA := l.waitRecord(ctx, 10*time.Second, "A", sess)
	aaaa, okAAAA := l.waitRecord(ctx, 5*time.Second, "AAAA", ServerIPv6())
	seen := msg.T("up %s; A %s, AAAA %s", "接続 %s。A %s、AAAA %s", sess, addrsString(a), addrsString(aaaa))
	shared := RouterLine().IPv4
	return exp, seen, okA && okAAAA && sess != shared
}

func checkScan(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	sess, err := l.sessionAddr()
	if err != nil {
		return scanExpected(), msg.Same(err.Error()), false
	}
	return l.scan(ctx, sess)
}

// scan has inet4 scan the server's public IPv4 address sess, over TCP and
// UDP: only the exposed ports may answer. The server's UDP decoy answers
// any datagram on every address; it must answer on the LAN meanwhile (from
// the PC), or "no UDP port open" would prove nothing.
func (l *Lab) scan(ctx context.Context, sess netip.Addr) (msg.Text, msg.Text, bool) {
	exp := scanExpected()
	var res scanResult
	tcp := fmt.Sprintf("1-1024,%d,%d", DecoyPort, WhoamiPort)
	udp := fmt.Sprintf("1-1024,%d", DecoyPort)
	if err := l.nodeJSON(ctx, NodeInet4, &res, "scan", "--ports", tcp, "--udp", udp, "--expect", portList(ExposedTCP), sess.String()); err != nil {
		return exp, shortText(err), false
	}
	seen := msg.T("open on %s: TCP %s; UDP %s", "%s で開いている: TCP %s、UDP %s", sess, config.PortsText(res.Open), config.PortsText(res.OpenUDP))
	if err := l.udpDecoyAnswers(ctx); err != nil {
		return exp, msg.T("%s; but %s", "%s。ただし%s", seen, err), false
	}
	return exp, seen, config.FormatPorts(res.Open) == config.FormatPorts(ExposedTCP) && config.FormatPorts(res.OpenUDP) == config.FormatPorts(ExposedUDP)
}

func scanExpected() msg.Text {
	return msg.T("open: TCP %s; UDP %s", "開いている: TCP %s、UDP %s", config.PortsText(ExposedTCP), config.PortsText(ExposedUDP))
}

// udpDecoyAnswers checks that the server's UDP decoy answers where it is
// legitimately reachable: on the server's LAN address, from the PC (a few
// tries, as datagrams may be lost).
func (l *Lab) udpDecoyAnswers(ctx context.Context) error {
	return l.udpDecoyAnswersAt(ctx, NodePC, ServerLAN4)
}

// udpDecoyAnswersAt checks that the decoy answers node at addr.
func (l *Lab) udpDecoyAnswersAt(ctx context.Context, node string, addr netip.Addr) error {
	var res scanResult
	var err error
	if waitFor(ctx, 10*time.Second, func() bool {
		err = l.nodeJSON(ctx, node, &res, "scan", "--ports", "", "--udp", strconv.Itoa(DecoyPort), addr.String())
		return err == nil && len(res.OpenUDP) == 1
	}) {
		return nil
	}
	ap := netip.AddrPortFrom(addr, DecoyPort)
	t := msg.T("the UDP decoy at %s did not answer the %s", "%s のUDPのおとりが%sに応答しない", ap, nodeName(node))
	if err != nil {
		t = msg.T("the UDP decoy at %s could not be probed from the %s: %s", "%s のUDPのおとりを%sから調べられない: %s",
			ap, nodeName(node), shortText(err))
	}
	return msg.Err(t)
}

// nodeName names a node in messages.
func nodeName(node string) msg.Text {
	switch node {
	case NodePC:
		return msg.T("PC", "PC")
	case NodeRouter:
		return msg.T("IPoE router", "IPoEルーター")
	}
	return msg.Same(node)
}

// portList is ps as lab-node takes a port list ("80,443"; empty for none).
func portList(ps []uint16) string {
	if len(ps) == 0 {
		return ""
	}
	return config.FormatPorts(ps)
}

// brasProc finds the BRAS process.
func (l *Lab) brasProc() (*Proc, error) {
	for i := range l.st.Procs {
		if p := &l.st.Procs[i]; p.Name == "bras" && p.ours() {
			return p, nil
		}
	}
	return nil, fmt.Errorf("the BRAS does not run (logs in %s)", filepath.Join(l.Dir, "log"))
}

// checkHeal makes the BRAS end the session with PADT (SIGUSR1 asks it
// to) and measures how long until a new session has a new address, DNS says
// so and an IPv4 visitor gets the page again.
func checkHeal(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	exp := msg.T("new session, new address, A updated, fetch 200", "新しいセッションと新しいアドレス、A を更新、取得は 200")
	old, err := l.sessionAddr()
	if err != nil {
		return exp, msg.Same(err.Error()), false
	}
	p, err := l.brasProc()
	if err != nil {
		return exp, msg.Same(err.Error()), false
	}
	start := time.Now()
	if err := syscall.Kill(p.PID, syscall.SIGUSR1); err != nil {
		return exp, msg.Same("signal BRAS: " + err.Error()), false
	}
	sess, err := l.waitSession(ctx, 45*time.Second, old)
	if err != nil {
		return exp, msg.T("after PADT: %v", "PADT の後: %v", err), false
	}
	up := time.Since(start)
	dnsWait := 20 * time.Second
	if l.Scenario == ScenarioTwoRouters {
		// The server notices through its watched path (a keepalive probe
		// every 10 s, reset once the router's NAT forgot the connection)
		// or at the next address event (the lab's RAs come every 4 s).
		dnsWait = 40 * time.Second
	}
	if _, ok := l.waitRecord(ctx, dnsWait, "A", sess); !ok {
		return exp, msg.T("new session %s after %.1fs, but A not updated", "%.1[2]f 秒後に新しいセッション %[1]s、しかし A は更新されない", sess, up.Seconds()), false
	}
	dnsAt := time.Since(start)
	var f vantage.Fetched
	var ferr error
	waitFor(ctx, 10*time.Second, func() bool {
		url, dns := l.fetchTarget("4")
		ferr = l.nodeJSON(ctx, NodeInet4, &f, "fetch", "--family", "4", "--dns", dns, url)
		return ferr == nil && f.Status == 200 && f.Addr == sess.String()
	})
	total := time.Since(start)
	if ferr != nil || f.Status != 200 {
		return exp, msg.T("%s -> %s, DNS after %.1fs, fetch failed: %v", "%s → %s、DNS は %.1f 秒後、取得に失敗: %v", old, sess, dnsAt.Seconds(), ferr), false
	}
	if l.Scenario == ScenarioTwoRouters && !l.mydnsSawLogin(sess) {
		// The server's A record is `ipv4: seen`: MyDNS must have recorded
		// the address a login arrived from, not an address it was told.
		return exp, msg.T("%s -> %s, but MyDNS saw no login from %s (is the server's ipv4 still seen?)",
			"%s → %s、しかし MyDNS は %s からのログインを記録していない（サーバの ipv4 は seen のまま？）", old, sess, sess), false
	}
	return exp, msg.T("%s -> %s: session %.1fs, DNS %.1fs, fetch %.1fs", "%s → %s: セッション %.1f秒、DNS %.1f秒、取得 %.1f秒",
		old, sess, up.Seconds(), dnsAt.Seconds(), total.Seconds()), true
}

// mydnsSawLogin reports whether the lab's MyDNS recorded an A record from
// a login that arrived from addr (MyDNS's own way: no address sent).
func (l *Lab) mydnsSawLogin(addr netip.Addr) bool {
	b, err := os.ReadFile(filepath.Join(l.Dir, "log", NodeISP+"-mydns.log"))
	if err != nil {
		return false
	}
	return strings.Contains(string(b), fmt.Sprintf(" by /login.html from %s: A %s ", addr, addr))
}

// writeServerConfig writes the server's dualpath config for the lab.
func (l *Lab) writeServerConfig() (string, error) {
	c := fmt.Sprintf(`# dualpath lab: the home server's config (scenario %[1]s)
interface: eth0
state_dir: %[2]s/server-state
pppoe:
  username: %[3]s
  password_file: %[2]s/pppoe.pass
  tun: %[4]s
expose:
  tcp: [%[5]s]
  icmp_echo: true
ddns:
  - provider: mydns
    name: %[9]s
    username: %[6]s
    password_file: %[2]s/mydns.pass
    ipv4: pppoe
    ipv6: interface:eth0
    ipv4_url: http://%[7]s/login.html
    ipv6_url: http://[%[8]s]/login.html
status:
  socket: %[2]s/server-status.sock
metrics:
  listen: 127.0.0.1:9842
`, l.Scenario, l.Dir, PPPoEUser, SessionTUN, strings.ReplaceAll(config.FormatPorts(ExposedTCP), ",", ", "), MyDNSMasterID, MyDNS4, MyDNS6, strings.TrimSuffix(Name, ".")) + l.outsideConfig()
	p := filepath.Join(l.Dir, "server-dualpath.yaml")
	return p, os.WriteFile(p, []byte(c), 0o644)
}
