package lab

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/ppp"
)

// PPPoE in the lab: the ISP's BRAS (internal/session's AccessConcentrator,
// the project's one access concentrator) on the access network, reached
// from the house through the IPoE router's PPPoE passthrough; the session
// itself is held by dualpath on the server (or by the second router in the
// two-routers scenario).

const (
	brasTUN  = "bras0"
	brasName = "lab-bras"
)

func init() {
	NodeCommands["bras"] = nodeBRAS
}

// nodeBRAS serves as the ISP's BRAS until ctx ends; SIGUSR1 drops every
// session with PADT (check 8), and the pool's round-robin gives the client
// that dials again a new address.
func nodeBRAS(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("bras", flag.ContinueOnError)
	ifname := fs.String("interface", "acc0", "access network interface")
	dev := fs.String("tun", brasTUN, "TUN device")
	pool := fs.String("pool", PPPoEPool.String(), "address pool")
	local := fs.String("local", PPPoELocal.String(), "the BRAS's own address (the sessions' peer address)")
	secrets := fs.String("secrets", "", "file of lines: USER PASSWORD")
	auth := fs.String("auth", "auto", "auto (CHAP, PAP if refused), chap or pap")
	dns := fs.String("dns", DNS4.String(), "DNS server handed out")
	stateDir := fs.String("state-dir", "", "journal of the BRAS's changes to the ISP namespace (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := netip.ParsePrefix(*pool)
	if err != nil {
		return err
	}
	lo, err := netip.ParseAddr(*local)
	if err != nil {
		return err
	}
	users := map[string][]byte{}
	f, err := os.Open(*secrets)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fl := strings.Fields(sc.Text()); len(fl) == 2 {
			users[fl[0]] = []byte(fl[1])
		}
	}
	f.Close()
	am := ppp.AuthAuto
	switch *auth {
	case "chap":
		am = ppp.AuthCHAP
	case "pap":
		am = ppp.AuthPAP
	}
	d, err := netip.ParseAddr(*dns)
	if err != nil {
		return err
	}
	log := nodeLogger(out)
	ac, err := session.NewAccessConcentrator(session.ACConfig{
		Interface: *ifname, TUN: *dev, Local: lo, Pool: p, DNS: []netip.Addr{d},
		Name: brasName, Auth: am, Secrets: users, EchoInterval: 10 * time.Second, StateDir: *stateDir,
		OnEvent: func(e session.Event) {
			attrs := []any{"session", e.SessionID, "peer", e.ACMAC.String()}
			method, addr := "", ""
			if e.Kind == session.KindAuth {
				method = e.Method.String()
			}
			if e.Address.IsValid() {
				addr = e.Address.String()
			}
			for _, kv := range [][2]string{{"state", e.State}, {"method", method}, {"address", addr}, {"reason", e.Reason}} {
				if kv[1] != "" {
					attrs = append(attrs, kv[0], kv[1])
				}
			}
			log.Info("session "+string(e.Kind), attrs...)
		},
	})
	if err != nil {
		return err
	}
	usr := make(chan os.Signal, 1)
	signal.Notify(usr, syscall.SIGUSR1)
	defer signal.Stop(usr)
	go func() {
		for range usr {
			log.Info("dropping every session (PADT)")
			ac.DropAll("the lab's ISP dropped the session")
		}
	}()
	log.Info("BRAS serving", "interface", *ifname, "ac_name", brasName, "pool", p)
	return ac.Run(ctx)
}

// sessionWhat says, for the log of up, who holds the session: the server
// running the daemon, or in two-routers the second router, with the
// server's DNS updater alone.
func (l *Lab) sessionWhat() msg.Text {
	if l.Scenario == ScenarioTwoRouters {
		return msg.T("second router: dualpath pppoe, NAT, 80/443 forwarded; server: dualpath ddns",
			"2台目のルーター: dualpath pppoe、NATで80/443を転送。サーバー: dualpath ddns")
	}
	return msg.T("server: dualpath run", "サーバー: dualpath run")
}

// upBRAS starts the BRAS in the ISP on the access network.
func (l *Lab) upBRAS(ctx context.Context) error {
	pw, err := newSecret(filepath.Join(l.Dir, "pppoe.pass"), 12)
	if err != nil {
		return err
	}
	secrets := filepath.Join(l.Dir, "bras-secrets")
	if err := os.WriteFile(secrets, []byte(PPPoEUser+" "+pw+"\n"), 0o600); err != nil {
		return err
	}
	return l.startBRAS(ctx)
}

// startBRAS starts the BRAS process (again, after a crash: lab chaos) and
// waits for its TUN.
func (l *Lab) startBRAS(ctx context.Context) error {
	// The BRAS addresses its TUN and routes the pool to it itself.
	p, err := l.startNode(NodeISP, "bras", "bras", "--state-dir", filepath.Join(l.Dir, "bras-state"),
		"--interface", "acc0", "--tun", brasTUN, "--pool", PPPoEPool.String(), "--local", PPPoELocal.String(),
		"--secrets", filepath.Join(l.Dir, "bras-secrets"))
	if err != nil {
		return err
	}
	if err := l.waitLink(ctx, NodeISP, brasTUN); err != nil {
		return err
	}
	// The TUN is made after the journal is locked; a BRAS that stopped
	// there (or later) is not serving, whatever device is seen.
	if !p.ours() {
		return fmt.Errorf("the BRAS exited after start (see %s)", p.Log)
	}
	return nil
}

// upSession starts dualpath where the session belongs and waits until the
// session is up.
func (l *Lab) upSession(ctx context.Context) error {
	if l.Scenario == ScenarioTwoRouters {
		return l.upRouter2Session(ctx)
	}
	cfg, err := l.writeServerConfig()
	if err != nil {
		return err
	}
	if _, err := l.start(NodeServer, "dualpath-run", l.bin, "run", "--config", cfg); err != nil {
		return err
	}
	sess, err := l.waitSession(ctx, 30*time.Second, netip.Addr{})
	if err != nil {
		return fmt.Errorf("%v (logs: %s)", err, filepath.Join(l.Dir, "log"))
	}
	return l.waitDNS(ctx, sess)
}

// waitDNS waits until the updater published the session address, so that
// the lab is ready for visitors when up returns.
func (l *Lab) waitDNS(ctx context.Context, sess netip.Addr) error {
	if got, ok := l.waitRecord(ctx, 20*time.Second, "A", sess); !ok {
		return fmt.Errorf("the A record of %s is %s, not the session's %s (logs: %s)", Name, addrsString(got), sess, filepath.Join(l.Dir, "log"))
	}
	return nil
}

// upRouter2Session: the second router dials PPPoE through the IPoE
// router's passthrough, routes all IPv4 through it, masquerades the LAN
// and forwards 80/443 to the server (the article's set-up).
func (l *Lab) upRouter2Session(ctx context.Context) error {
	if _, err := l.start(NodeRouter2, "dualpath-pppoe", l.bin, "pppoe", "--interface", "wan0", "--username", PPPoEUser,
		"--password-file", filepath.Join(l.Dir, "pppoe.pass"), "--state-dir", filepath.Join(l.Dir, "router2-state"),
		"--default-route", "--events", "json"); err != nil {
		return err
	}
	if _, err := l.waitSession(ctx, 30*time.Second, netip.Addr{}); err != nil {
		return fmt.Errorf("%v (logs: %s)", err, filepath.Join(l.Dir, "log"))
	}
	rules := fmt.Sprintf(`table ip dualpath_lab_router2 {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname %[1]q tcp dport { %[2]s } dnat ip to %[3]s
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname %[1]q masquerade
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname %[1]q ct state established,related accept
		iifname %[1]q drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname %[1]q ct state established,related accept
		iifname %[1]q ct status dnat accept
		iifname %[1]q drop
	}
}
`, SessionTUN, strings.ReplaceAll(config.FormatPorts(ExposedTCP), ",", ", "), ServerLAN4)
	if err := l.nft(NodeRouter2, "nat", rules); err != nil {
		return err
	}
	cfg, err := l.writeServerDDNSConfig()
	if err != nil {
		return err
	}
	if _, err = l.start(NodeServer, "dualpath-ddns", l.bin, "ddns", "--config", cfg); err != nil {
		return err
	}
	sess, err := l.sessionAddr()
	if err != nil {
		return err
	}
	return l.waitDNS(ctx, sess)
}

// writeServerDDNSConfig is the server's config in the two-routers
// scenario: no PPPoE of its own; the A record is `ipv4: seen`, the address
// MyDNS sees the login come from, sent from the server's own LAN address
// through the second router (the article's wget --bind-address). Nothing
// on the server changes when the second router's session does; the echo
// service lets the updater hold a connection through that path, which
// breaks when the router's NAT forgets it on reconnect (ddns/seenwatch.go),
// and check at once. (In the lab the IPoE router's advertisements every
// 4 s also make the updater look again, so any echo-based source follows
// within seconds here; a real HGW advertises every few minutes, and the
// path watch is what remains: TestSeenPathWatchNoticesRouterReconnect.)
func (l *Lab) writeServerDDNSConfig() (string, error) {
	c := fmt.Sprintf(`# dualpath lab: the home server's DNS updater (scenario two-routers)
interface: eth0
state_dir: %[1]s/server-state
ddns:
  - provider: mydns
    username: %[2]s
    password_file: %[1]s/mydns.pass
    ipv4: seen
    ipv6: interface:eth0
    ipv4_url: http://%[3]s/login.html
    ipv6_url: http://[%[4]s]/login.html
    echo_url: http://%[3]s/ip
status:
  socket: %[1]s/server-status.sock
metrics:
  listen: "off"
`, l.Dir, MyDNSMasterID, MyDNS4, MyDNS6)
	p := filepath.Join(l.Dir, "server-ddns.yaml")
	return p, os.WriteFile(p, []byte(c), 0o644)
}
