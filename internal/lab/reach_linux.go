package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/lab/vantage"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
	"github.com/dualpath/dualpath/internal/reach"
)

// Proof from outside in the lab: `dualpath probe-serve` runs at both
// visitors (inet4 for IPv4, inet6 for IPv6, the internet side of the ISP),
// and the server's config lists them as its probers, so `dualpath check`
// on the server sees each exposed port the way visitors do.

// ProbePort is where the visitors' probe-serve listens; WebhookPort is the
// webhook receiver at inet4 that the server's notify section posts to.
const (
	ProbePort   = 7008
	WebhookPort = 7009
)

func init() {
	NodeCommands["webhooks"] = nodeWebhooks
}

// webhooksFile is where the receiver writes each notification, one a line.
func (l *Lab) webhooksFile() string { return filepath.Join(l.Dir, "webhooks.jsonl") }

// webhooks is what the receiver at inet4 got so far, oldest first.
func (l *Lab) webhooks() []notify.JSONPayload {
	b, _ := os.ReadFile(l.webhooksFile())
	var out []notify.JSONPayload
	for _, line := range strings.Split(string(b), "\n") {
		var p notify.JSONPayload
		if json.Unmarshal([]byte(line), &p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// webhookURL is the receiver the server's notify section posts to.
func webhookURL() string {
	return "http://" + netip.AddrPortFrom(Inet4Addr.Addr(), WebhookPort).String() + "/dualpath"
}

func nodeWebhooks(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("webhooks", flag.ContinueOnError)
	listen := fs.String("listen", "", "address to listen on")
	file := fs.String("out", "", "file to append each body to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" || *file == "" {
		return errors.New("usage: lab-node webhooks --listen ADDR --out FILE")
	}
	f, err := os.OpenFile(*file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	return vantage.WebhookReceiver(ctx, ln, f)
}

// upWebhooks starts the webhook receiver at inet4.
func (l *Lab) upWebhooks(ctx context.Context) error {
	if _, err := l.startNode(NodeInet4, "webhooks", "webhooks", "--listen", netip.AddrPortFrom(Inet4Addr.Addr(), WebhookPort).String(), "--out", l.webhooksFile()); err != nil {
		return err
	}
	return l.waitListen(ctx, NodeInet4, "tcp", WebhookPort)
}

// probeTokenFile holds the probers' token (mode 0600), shared by both ends.
func (l *Lab) probeTokenFile() string { return filepath.Join(l.Dir, "probe.token") }

// proberURLs are the two probe-serve services, one per family.
func proberURLs() []string {
	return []string{
		"http://" + netip.AddrPortFrom(Inet4Addr.Addr(), ProbePort).String(),
		"http://" + netip.AddrPortFrom(Inet6Addr.Addr(), ProbePort).String(),
	}
}

// upProbers starts probe-serve at both visitors.
func (l *Lab) upProbers(ctx context.Context) error {
	if _, err := newSecret(l.probeTokenFile(), 18); err != nil {
		return err
	}
	for _, x := range []struct{ node, listen string }{
		{NodeInet4, netip.AddrPortFrom(netip.IPv4Unspecified(), ProbePort).String()},
		{NodeInet6, netip.AddrPortFrom(netip.IPv6Unspecified(), ProbePort).String()},
	} {
		if _, err := l.start(x.node, "probe-serve", l.bin, "probe-serve", "--listen", x.listen, "--token-file", l.probeTokenFile(),
			// The lab's tests check again and again within seconds.
			"--burst", "30", "--every", "1s"); err != nil {
			return err
		}
	}
	for _, n := range []string{NodeInet4, NodeInet6} {
		if err := l.waitListen(ctx, n, "tcp", ProbePort); err != nil {
			return err
		}
	}
	return nil
}

// outsideConfig is the server config's check and notify sections: the
// ISP's BIND asked directly, the two probers, no TLS port (the lab's nginx
// answers plain HTTP on 443), and every event to the receiver at inet4.
func (l *Lab) outsideConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, "check:\n  name: %s\n  dns_servers: [%s]\n  tls_ports: []\n  probers:\n",
		strings.TrimSuffix(Name, "."), netip.AddrPortFrom(DNS4, 53))
	for _, u := range proberURLs() {
		fmt.Fprintf(&b, "    - url: %s\n      token_file: %s\n", u, l.probeTokenFile())
	}
	fmt.Fprintf(&b, "notify:\n  debounce: 1s\n  webhooks:\n    - url: %s\n      format: json\n", webhookURL())
	return b.String()
}

// RunCheck runs `dualpath check --json` on the server, as a user would with
// `dualpath lab exec server -- dualpath check --json`, and returns its exit
// code and report.
func (l *Lab) RunCheck(ctx context.Context) (int, *reach.JSONReport, error) {
	var out, errb bytes.Buffer
	code, err := l.Exec(ctx, NodeServer, []string{l.bin, "check", "--json"}, nil, &out, &errb)
	if err != nil {
		return code, nil, err
	}
	var rep reach.JSONReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return code, nil, fmt.Errorf("dualpath check exit %d: %s%s", code, strings.TrimSpace(errb.String()), strings.TrimSpace(out.String()))
	}
	return code, &rep, nil
}

// checkFromOutside is check 9: `dualpath check` on the server is green,
// every exposed port reachable over both families through the probers.
func checkFromOutside(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	exp := msg.T("exit 0: IPv4 and IPv6 reachable on %s", "終了コード 0: IPv4 でも IPv6 でも %s に届く", config.FormatPorts(ExposedTCP))
	code, rep, err := l.RunCheck(ctx)
	if err != nil {
		return exp, shortText(err), false
	}
	var ok4, ok6, bad []string
	for _, p := range rep.Paths {
		switch {
		case p.Status != reach.OK:
			bad = append(bad, fmt.Sprintf("%s/%d %s: %s", p.Family, p.Port, p.Status, p.Cause))
		case p.Family == reach.IPv4:
			ok4 = append(ok4, fmt.Sprint(p.Port))
		default:
			ok6 = append(ok6, fmt.Sprint(p.Port))
		}
	}
	for _, d := range rep.DNS {
		if d.Status != reach.OK {
			bad = append(bad, fmt.Sprintf("DNS %s %s: %s", d.Family, d.Status, d.Cause))
		}
	}
	seen := msg.T("exit %d: IPv4 %s, IPv6 %s", "終了コード %d: IPv4 %s、IPv6 %s", code, strings.Join(ok4, ","), strings.Join(ok6, ","))
	if len(bad) > 0 {
		seen = msg.T("%s; %s", "%s。%s", seen, strings.Join(bad, "; "))
	}
	return exp, seen, code == 0 && len(bad) == 0 && len(ok4) == len(ExposedTCP) && len(ok6) == len(ExposedTCP)
}

// checkWebhook is check 11: when the BRAS dropped the session (check 8),
// the server's daemon told the receiver at inet4: session_down, then
// session_up with the new address.
func checkWebhook(ctx context.Context, l *Lab) (msg.Text, msg.Text, bool) {
	exp := msg.T("session_down, then session_up with the new address, at inet4", "inet4 に session_down、続いて新しいアドレスの session_up")
	sess, err := l.sessionAddr()
	if err != nil {
		return exp, msg.Same(err.Error()), false
	}
	var down, up *notify.JSONPayload
	waitFor(ctx, 10*time.Second, func() bool {
		down, up = nil, nil
		for _, p := range l.webhooks() {
			switch {
			case p.Event == notify.SessionDown:
				down, up = &p, nil
			case p.Event == notify.SessionUp && down != nil && p.Facts["address"] == sess.String():
				up = &p
			}
		}
		return down != nil && up != nil
	})
	switch {
	case down == nil:
		return exp, msg.T("no session_down at the receiver (%s)", "受け手に session_down が届いていない（%s）", filepath.Base(l.webhooksFile())), false
	case up == nil:
		return exp, msg.T("session_down (%s), but no session_up for %s", "session_down（%s）、しかし %s の session_up がない", downReason(down), sess), false
	}
	return exp, msg.T("session_down (%s), session_up %s %.1fs later", "session_down（%[1]s）、%.1[3]f秒後に session_up %[2]s",
		downReason(down), sess, up.Time.Sub(down.Time).Seconds()), true
}

// downReason is a session_down's reason in both languages: the English
// the webhook carries, in Japanese the text of its code.
func downReason(p *notify.JSONPayload) msg.Text {
	return msg.CodeText(p.Facts["code"], p.Facts["reason"])
}
