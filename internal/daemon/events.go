package daemon

import (
	"context"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
)

// The daemon's events (package notify) and its look from outside (the
// reachability loop, reach.go): started once the daemon is ready.

// dnsFailuresToNotify is how many failed attempts in a row of one record
// make a dns_update_failed event ("failed after retries").
const dnsFailuresToNotify = 3

// startOutside builds the notifier (when the config has a notify section),
// starts the DNS updater, the watcher of addresses and the reachability
// loop, and sends daemon_start.
func (d *daemon) startOutside(ctx context.Context, wg *sync.WaitGroup) error {
	d.st.SetReach(&d.reach)
	if n := d.cfg.Notify; n != nil {
		nt, err := notify.New(n, config.ReadSecret, d.log.With("component", "notify"))
		if err != nil {
			return err
		}
		d.notifier = nt
		d.st.SetComponent("notify", true, msg.Text{})
		wg.Add(1)
		go func() { defer wg.Done(); nt.Run(ctx) }()
	} else {
		d.st.SetComponent("notify", false, msg.T("no notify section in the config", "設定に notify のセクションがありません"))
	}
	wg.Add(2)
	go func() { defer wg.Done(); d.runReach(ctx) }()
	go func() { defer wg.Done(); d.watchAddresses(ctx) }()
	d.ddnsMu.Lock()
	u := d.ddns
	d.ddnsMu.Unlock()
	if u != nil {
		// After the notifier exists: the updater's events may use it.
		wg.Add(1)
		go func() { defer wg.Done(); _ = u.Run(ctx) }()
	}
	d.event(notify.DaemonStart, map[string]string{"version": d.opts.Version})
	return nil
}

// event sends one event (a no-op without a notify section).
func (d *daemon) event(k notify.Kind, facts map[string]string) {
	d.notifier.Send(notify.Event{Kind: k, Facts: facts})
}

func (d *daemon) poll() time.Duration {
	if d.opts.CheckPoll > 0 {
		return d.opts.CheckPoll
	}
	return defaultCheckPoll
}

// watchAddresses sends address_change when the address visitors should use
// changes, per family (the session's IPv4, the published IPv6).
func (d *daemon) watchAddresses(ctx context.Context) {
	var last [2]netip.Addr
	first := true
	t := time.NewTicker(d.poll())
	defer t.Stop()
	for {
		v4, v6 := d.st.Expected()
		for i, x := range []struct {
			fam string
			a   netip.Addr
		}{{"ipv4", v4}, {"ipv6", v6}} {
			// A lost session is session_down, not a change; the next
			// address is compared with the last one seen.
			if !x.a.IsValid() || x.a == last[i] {
				continue
			}
			if !first && last[i].IsValid() {
				d.event(notify.AddressChange, map[string]string{"family": x.fam, "old": last[i].String(), "new": x.a.String()})
			}
			last[i] = x.a
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// dnsFailureNotifier is the DNS updater's event handler: it sends
// dns_update_failed when a record has failed dnsFailuresToNotify times in
// a row (the updater retries with backoff in between), once until it
// succeeds again.
func (d *daemon) dnsFailureNotifier() func(ddns.Event) {
	var mu sync.Mutex
	told := map[string]bool{}
	return func(e ddns.Event) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case e.Failures >= dnsFailuresToNotify && !told[e.Record]:
			told[e.Record] = true
			d.event(notify.DNSUpdateFailed, map[string]string{"provider": e.Provider, "name": e.Name,
				"failures": strconv.Itoa(e.Failures), "error": e.Err})
		case e.Failures == 0:
			told[e.Record] = false
		}
	}
}
