package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

const lossFor = 20 * time.Second

func init() {
	for _, pct := range []int{5, 30} {
		registerFault(&faultKind{name: fmt.Sprintf("loss%d", pct),
			what:   msg.T("%d %% packet loss both ways on the server's LAN link for %v", "サーバーのLANリンクで双方向 %d %% のパケット損失（%v）", pct, lossFor),
			inject: func(ctx context.Context, c *chaos, f *FaultResult) error { return injectLoss(ctx, c, f, pct) }})
	}
}

// injectLoss drops pct % of the frames both ways between the server and
// the router (nftables numgen random on each end's ingress; every frame
// counts, PPPoE and IP alike), for lossFor.
func injectLoss(ctx context.Context, c *chaos, f *FaultResult, pct int) error {
	ends := []struct{ node, dev string }{{NodeServer, "eth0"}, {NodeRouter, "lan-srv"}}
	for _, e := range ends {
		rules := fmt.Sprintf(`table netdev dpchaos {
	chain loss {
		type filter hook ingress device %q priority -500; policy accept;
		numgen random mod 100 < %d drop
	}
}
`, e.dev, pct)
		p := filepath.Join(c.l.Dir, "chaos-loss-"+e.node+".nft")
		if err := os.WriteFile(p, []byte(rules), 0o644); err != nil {
			return err
		}
		if _, err := c.l.In(e.node, "nft", "-f", p); err != nil {
			return err
		}
	}
	sleepCtx(ctx, lossFor)
	var err error
	for _, e := range ends {
		if _, e2 := c.l.In(e.node, "nft", "delete", "table", "netdev", "dpchaos"); e2 != nil && err == nil {
			err = e2
		}
	}
	f.Cleared = time.Now()
	return err
}
