package daemon

import (
	"sync"

	"github.com/dualpath/dualpath/internal/msg"
)

// warnLog puts the host's warnings (an exposed port nothing listens on, or
// only on IPv6, or that the host's own firewall drops) in the log when the
// inbound path comes up, the moment they start to matter: each warning
// once, again only after it went away and came back. Status shows them all
// the time; the log is where `journalctl -u dualpath` readers see them.
type warnLog struct {
	src WarningSource // nil: no warnings (no inbound path)

	mu     sync.Mutex
	logged map[string]bool // English texts of the warnings last logged
}

// check logs the warnings not logged last time. It looks at the host (a
// process and /proc through the cache), so callers run it off the event
// path.
func (w *warnLog) check(d *daemon) {
	if w == nil || w.src == nil {
		return
	}
	ws := w.src.Warnings()
	w.mu.Lock()
	defer w.mu.Unlock()
	now := make(map[string]bool, len(ws))
	for _, t := range ws {
		now[t.EN] = true
		if !w.logged[t.EN] {
			msg.LogWarn(d.log, msg.T("host warning", "ホストの警告"), "warning", t)
		}
	}
	w.logged = now
}
