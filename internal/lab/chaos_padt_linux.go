package lab

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

func init() {
	registerFault(&faultKind{name: "padt",
		what:   msg.T("the BRAS ends the session (PADT)", "BRASがセッションを終了（PADT）"),
		inject: injectPADT})
}

// injectPADT asks the BRAS to drop every session with PADT (SIGUSR1).
func injectPADT(ctx context.Context, c *chaos, f *FaultResult) error {
	old := c.current()
	if err := c.signalProc("bras", syscall.SIGUSR1); err != nil {
		return err
	}
	f.Cleared = time.Now()
	if at, ok := c.sessionGone(ctx, old, 15*time.Second); ok {
		f.DownS = ptr(round1(at.Sub(f.start).Seconds()))
	}
	return nil
}

func ptr(v float64) *float64 { return &v }

// proc finds a running process of the lab by name.
func (c *chaos) proc(name string) (*Proc, error) {
	for i := len(c.l.st.Procs) - 1; i >= 0; i-- {
		if p := &c.l.st.Procs[i]; p.Name == name && p.ours() {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no %s process runs in the lab", name)
}

func (c *chaos) signalProc(name string, sig syscall.Signal) error {
	p, err := c.proc(name)
	if err != nil {
		return err
	}
	return syscall.Kill(p.PID, sig)
}
