package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

const v6PathDown = 10 * time.Second

func init() {
	registerFault(&faultKind{name: "v6-path",
		what: msg.T("the server's IPv6 address changes while the path to MyDNS is down for %v",
			"MyDNSへの経路が %v 断たれている間にサーバーのIPv6アドレスが変わる", v6PathDown),
		inject: injectV6Path,
		after: func(ctx context.Context, c *chaos) error {
			c.setV6(ServerIPv6())
			return c.moveV6(serverIPv6Moved(), ServerIPv6())
		}})
}

// injectV6Path drops everything to MyDNS's IPv6 address in the ISP (a
// connect times out: the request never reaches the provider) and moves
// the server's stable IPv6 address from ::10 to ::20; after v6PathDown the
// path is back, and the AAAA must be right within 2 s. Then the address
// moves back (and the AAAA with it) before the next fault.
func injectV6Path(ctx context.Context, c *chaos, f *FaultResult) error {
	l := c.l
	rules := fmt.Sprintf(`table inet dpchaos {
	chain in {
		type filter hook input priority -500; policy accept;
		ip6 daddr %s drop
	}
}
`, MyDNS6)
	p := filepath.Join(l.Dir, "chaos-v6path.nft")
	if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
		return err
	}
	if _, err := l.In(NodeISP, "nft", "-f", p); err != nil {
		return err
	}
	old, moved := ServerIPv6(), serverIPv6Moved()
	c.setV6(moved)
	if err := c.moveV6(old, moved); err != nil {
		return err
	}
	sleepCtx(ctx, time.Until(f.start.Add(v6PathDown)))
	_, err := l.In(NodeISP, "nft", "delete", "table", "inet", "dpchaos")
	f.Cleared = time.Now()
	if _, ok := l.waitRecord(ctx, 30*time.Second, "AAAA", moved); ok {
		d := time.Since(f.Cleared)
		f.AAAAS = ptr(round1(d.Seconds()))
		if d > 2*time.Second {
			c.violate("AAAA right %.1f s after the path to MyDNS returned (want <= 2 s)", d.Seconds())
		}
	}
	return err
}

func serverIPv6Moved() netip.Addr {
	b := ServerIPv6().As16()
	b[15] = 0x20
	return netip.AddrFrom16(b)
}

// moveV6 replaces the server's address from with to (both /64).
func (c *chaos) moveV6(from, to netip.Addr) error {
	if _, err := c.l.In(NodeServer, "ip", "-6", "addr", "add", netip.PrefixFrom(to, 64).String(), "dev", "eth0"); err != nil {
		return err
	}
	_, err := c.l.In(NodeServer, "ip", "-6", "addr", "del", netip.PrefixFrom(from, 64).String(), "dev", "eth0")
	return err
}
