package lab

import (
	"context"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// The access concentrator freezes (SIGSTOP: it neither answers nor sends,
// as a hung BRAS): shorter than the client's echo window (10 s idle + 3
// probes 1 s apart) the session must ride through; longer, the client must
// notice within 15 s, and dial again once the BRAS is back (SIGCONT).
const (
	acFreezeShort = 5 * time.Second
	acFreezeLong  = 25 * time.Second
)

func init() {
	registerFault(&faultKind{name: "ac-freeze",
		what:   msg.T("the BRAS freezes for %v (shorter than the echo window)", "BRASが %v 停止（エコーの猶予より短い）", acFreezeShort),
		inject: injectACFreeze})
	registerFault(&faultKind{name: "ac-dead",
		what:   msg.T("the BRAS is dead for %v, then back", "BRASが %v 応答なし、その後復帰", acFreezeLong),
		inject: injectACDead})
}

func injectACFreeze(ctx context.Context, c *chaos, f *FaultResult) error {
	old := c.current()
	if err := c.signalProc("bras", syscall.SIGSTOP); err != nil {
		return err
	}
	sleepCtx(ctx, acFreezeShort)
	err := c.signalProc("bras", syscall.SIGCONT)
	f.Cleared = time.Now()
	if at, gone := c.sessionGone(ctx, old, 3*time.Second); gone {
		f.DownS = ptr(round1(at.Sub(f.start).Seconds()))
		c.violate("the session ended during a %v freeze of the BRAS, shorter than the echo window", acFreezeShort)
	}
	return err
}

func injectACDead(ctx context.Context, c *chaos, f *FaultResult) error {
	old := c.current()
	if err := c.signalProc("bras", syscall.SIGSTOP); err != nil {
		return err
	}
	at, gone := c.sessionGone(ctx, old, acFreezeLong)
	if gone {
		f.DownS = ptr(round1(at.Sub(f.start).Seconds()))
		if at.Sub(f.start) > 15*time.Second {
			c.violate("a dead BRAS was noticed after %.1f s (want <= 15 s)", at.Sub(f.start).Seconds())
		}
	} else {
		c.violate("a BRAS dead for %v was never noticed", acFreezeLong)
	}
	sleepCtx(ctx, time.Until(f.start.Add(acFreezeLong)))
	err := c.signalProc("bras", syscall.SIGCONT)
	f.Cleared = time.Now()
	return err
}
