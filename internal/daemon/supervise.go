package daemon

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// supervise runs part until ctx ends and starts it again whenever it gives
// up (a missing interface, missing privileges), after a backoff
// (restartBackoff). down records why in the status before the stop is
// logged as gaveUp and told to systemd. A *fatalError from part ends the
// supervision with its error: nothing a restart could fix. The PPPoE
// session and the fixed-IP tunnel are supervised alike.
func (d *daemon) supervise(ctx context.Context, part func(context.Context) error, down func(error), gaveUp msg.Text) error {
	b := restartBackoff{min: d.opts.MinSessionBackoff, max: d.opts.MaxSessionBackoff}
	for {
		started := time.Now()
		err := part(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var fe *fatalError
		if errors.As(err, &fe) {
			return fe.err
		}
		wait := b.after(time.Since(started))
		down(err)
		d.setDDNSAddress(netip.Addr{})
		msg.LogError(d.log, gaveUp, "err", err, "retry_in", wait.String())
		d.notify("STATUS=" + d.statusLine())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// fatalError is a supervised part's error that a restart cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// restartBackoff is the wait before a supervised part starts again: min,
// doubling up to max, and min again after a run that lasted longer than
// max (it had recovered).
type restartBackoff struct{ min, max, next time.Duration }

// after returns the wait after a run that lasted ran.
func (b *restartBackoff) after(ran time.Duration) time.Duration {
	if b.next == 0 || ran > b.max {
		b.next = b.min
	}
	w := b.next
	b.next = min(b.next*2, b.max)
	return w
}
