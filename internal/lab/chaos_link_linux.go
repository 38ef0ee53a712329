package lab

import (
	"context"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

const linkDown = 3 * time.Second

func init() {
	registerFault(&faultKind{name: "link",
		what:   msg.T("the server's LAN link goes down for %v", "サーバーのLANリンクが %v ダウン", linkDown),
		inject: injectLink})
}

// injectLink takes the server's eth0 down and up again. Linux forgets the
// link's IPv6 addresses and IPv4 routes when it goes down; the host's
// network configuration (netplan in real life) puts them back, and so does
// the drill: exactly what was there before.
func injectLink(ctx context.Context, c *chaos, f *FaultResult) error {
	l := c.l
	addrs, _ := l.In(NodeServer, "ip", "-o", "addr", "show", "dev", "eth0", "scope", "global", "permanent")
	routes, _ := l.In(NodeServer, "ip", "-4", "route", "show", "table", "main", "dev", "eth0")
	if _, err := l.In(NodeServer, "ip", "link", "set", "eth0", "down"); err != nil {
		return err
	}
	sleepCtx(ctx, linkDown)
	_, err := l.In(NodeServer, "ip", "link", "set", "eth0", "up")
	for _, line := range strings.Split(strings.TrimSpace(addrs), "\n") {
		fl := strings.Fields(line)
		for i := 0; i+1 < len(fl); i++ {
			if fl[i] == "inet" || fl[i] == "inet6" {
				_, _ = l.In(NodeServer, "ip", "addr", "replace", fl[i+1], "dev", "eth0")
			}
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(routes), "\n") {
		if fl := strings.Fields(line); len(fl) > 0 && !strings.Contains(line, "proto kernel") {
			_, _ = l.In(NodeServer, "ip", append([]string{"-4", "route", "replace"}, append(fl, "dev", "eth0")...)...)
		}
	}
	f.Cleared = time.Now()
	return err
}
