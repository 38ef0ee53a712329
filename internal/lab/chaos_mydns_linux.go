package lab

import (
	"context"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	registerFault(&faultKind{name: "mydns-500",
		what:   msg.T("MyDNS answers 500 while the session address changes", "アドレスが変わる間、MyDNSが500を返す"),
		inject: injectMyDNS500,
		// MyDNS answered: the updater waits its 5-minute floor
		// (protocols.md) before trying again.
		limit: func(c *chaos) time.Duration { return ddns.DefaultMyDNSMinBackoff + time.Minute }})
}

// injectMyDNS500 makes the lab's MyDNS answer 500 (SIGUSR1) for
// MyDNSOutage, with a new session address at its start (PADT).
func injectMyDNS500(ctx context.Context, c *chaos, f *FaultResult) error {
	if err := c.signalProc("mydns", syscall.SIGUSR1); err != nil {
		return err
	}
	old := c.current()
	err := c.signalProc("bras", syscall.SIGUSR1)
	if at, ok := c.sessionGone(ctx, old, 5*time.Second); ok {
		f.DownS = ptr(round1(at.Sub(f.start).Seconds()))
	}
	sleepCtx(ctx, time.Until(f.start.Add(c.opt.MyDNSOutage)))
	if e2 := c.signalProc("mydns", syscall.SIGUSR2); e2 != nil {
		err = e2
	}
	f.Cleared = time.Now()
	return err
}
