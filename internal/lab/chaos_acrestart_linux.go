package lab

import (
	"context"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	registerFault(&faultKind{name: "ac-restart",
		what:   msg.T("the BRAS crashes and restarts, forgetting its sessions", "BRASがクラッシュして再起動し、セッションを忘れる"),
		inject: injectACRestart})
}

// injectACRestart kills the BRAS without a word (SIGKILL: no PADT) and
// starts a new one: the client's session is stale and must be cleaned up
// (noticed, ended, dialled again).
func injectACRestart(ctx context.Context, c *chaos, f *FaultResult) error {
	old := c.current()
	p, err := c.proc("bras")
	if err != nil {
		return err
	}
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	// The new BRAS replays the dead one's journal, so the dead one must be
	// wholly gone first: a killed process's leader shows as a zombie while
	// its other threads still exit holding its files (the journal's lock,
	// the TUN). Its TUN vanishes when the last of them closed it; a new
	// BRAS started before that exits on the lock while the old TUN still
	// looks like a started BRAS.
	waitFor(ctx, 10*time.Second, func() bool {
		return reaped(p.PID) && c.l.ipn(NodeISP, "link", "show", brasTUN) != nil
	})
	for try := 0; try < 5; try++ {
		if err = c.l.startBRAS(ctx); err == nil {
			break
		}
		sleepCtx(ctx, time.Second)
	}
	f.Cleared = time.Now()
	if at, ok := c.sessionGone(ctx, old, 30*time.Second); ok {
		f.DownS = ptr(round1(at.Sub(f.start).Seconds()))
	}
	return err
}
