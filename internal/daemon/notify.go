package daemon

import (
	"context"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// sdNotify sends one notification to systemd ($NOTIFY_SOCKET); outside
// systemd it does nothing.
func sdNotify(state string) { _, _ = sd.SdNotify(false, state) }

// watchdog pings systemd's watchdog (WatchdogSec in the unit) at a third of
// its interval, as long as the daemon's state answers: a daemon stuck on its
// own lock is restarted by systemd.
func (d *daemon) watchdog(ctx context.Context) {
	interval, err := sd.SdWatchdogEnabled(false)
	if err != nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = d.st.counters() // takes the state lock: proves it is not stuck
			d.notify("WATCHDOG=1")
		}
	}
}
