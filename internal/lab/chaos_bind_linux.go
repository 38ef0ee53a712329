package lab

import (
	"context"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

const bindDown = 10 * time.Second

func init() {
	registerFault(&faultKind{name: "bind-down",
		what:   msg.T("the ISP's BIND is down for %v while the session address changes", "アドレスが変わる間、ISPのBINDが %v 停止", bindDown),
		inject: injectBINDDown})
}

// injectBINDDown stops BIND (SIGSTOP: queries and updates go unanswered),
// makes the session address change (PADT), and lets BIND go on after
// bindDown: the new address must reach DNS once BIND is back.
func injectBINDDown(ctx context.Context, c *chaos, f *FaultResult) error {
	if err := c.signalProc("named", syscall.SIGSTOP); err != nil {
		return err
	}
	old := c.current()
	err := c.signalProc("bras", syscall.SIGUSR1)
	if at, ok := c.sessionGone(ctx, old, 5*time.Second); ok {
		f.DownS = ptr(round1(at.Sub(f.start).Seconds()))
	}
	sleepCtx(ctx, time.Until(f.start.Add(bindDown)))
	if e2 := c.signalProc("named", syscall.SIGCONT); e2 != nil {
		err = e2
	}
	f.Cleared = time.Now()
	return err
}
