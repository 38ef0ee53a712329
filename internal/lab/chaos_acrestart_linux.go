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
	waitFor(ctx, 5*time.Second, func() bool { return !alive(p.PID) })
	// A new BRAS replays the dead one's journal; the kernel may take a
	// moment to let go of the dead one's lock on it: try again then.
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
