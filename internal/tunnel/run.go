// Package tunnel runs the server's end of a fixed-IP IPv4-over-IPv6 service
// (v6プラス固定IP, transix 固定IP, Xpass 固定IP, OCX光) end to end: the
// tunnel's local IPv6 address on the LAN interface (the line's /64 plus the
// provider's interface ID, following prefix changes), the data plane
// (dataplane.Tunnel over hostnet.IPIP6Conn), the fixed address(es) on a TUN
// with reply routing (hostnet.ReplyRoutes, as the PPPoE session does), the
// provider's update call after a prefix change, and the check that the
// border relay sends our traffic back (dataplane.Tunnel.Probe). Every host
// change goes through a journal and is undone when Run returns.
package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// Config configures Run. The daemon fills it from config.Tunnel.
type Config struct {
	// Interface is the LAN interface: the line's prefix is read from it
	// and the tunnel's end point is added to it.
	Interface string
	// BR is the provider's border relay; Block the fixed address (/32) or
	// block routed to us.
	BR    netip.Addr
	Block netip.Prefix
	// Endpoint gives the tunnel's local address on the line's /64 (fixed:
	// the address does not depend on the prefix).
	Endpoint func(prefix netip.Prefix) (addr netip.Addr, fixed bool)
	MTU      int
	TUN      string
	// Table and RulePriority place the reply rules (as for PPPoE).
	Table, RulePriority int
	// StateDir holds the journal (tunnel.journal).
	StateDir string
	// Update calls the provider's update URL from local (nil: none). Its
	// error must not contain secrets.
	Update func(ctx context.Context, local netip.Addr) error
	// OnEvent receives every event, from Run's goroutine.
	OnEvent func(Event)
	// VerifyTimeout bounds one check that the BR answers (default 5 s);
	// Backoff bounds the retries of a failed update or check (default
	// 2 s doubling to 5 min); Recheck is how often a working tunnel is
	// checked again (default 5 min); Poll how often the interface's
	// addresses are read besides netlink's notices (default 30 s).
	VerifyTimeout, MinBackoff, MaxBackoff, Recheck, Poll time.Duration
}

// Event kinds.
const (
	KindCleanup  = "cleanup"  // leftovers of an earlier run were removed (Reason)
	KindWaiting  = "waiting"  // no usable IPv6 prefix on the interface yet (Reason)
	KindEndpoint = "endpoint" // the local end point is (now) Local on Prefix; Old is the one before
	KindUpdate   = "update"   // State "ok" or "failed" (Reason, RetryIn)
	KindUp       = "up"       // the BR sent our probe back: the tunnel works (Local, Addresses)
	KindVerify   = "verify"   // the check failed (Reason, RetryIn)
)

// Event is one step of the tunnel's life. It never carries a secret.
type Event struct {
	Kind      string
	Time      time.Time
	State     string
	Local     netip.Addr
	Old       netip.Addr
	Prefix    netip.Prefix
	Addresses []netip.Addr
	Reason    string
	Err       error // Reason as an error (KindWaiting, KindUpdate, KindVerify), for the reader's language
	RetryIn   time.Duration
}

func (c *Config) defaults() error {
	switch {
	case c.Interface == "":
		return errors.New("tunnel: no LAN interface given")
	case !c.BR.Is6():
		return fmt.Errorf("tunnel: BR %v is not an IPv6 address", c.BR)
	case !c.Block.IsValid() || !c.Block.Addr().Is4():
		return fmt.Errorf("tunnel: %v is not an IPv4 address or block", c.Block)
	case c.Endpoint == nil:
		return errors.New("tunnel: no end point rule")
	case c.TUN == "" || c.MTU == 0 || c.Table == 0:
		return errors.New("tunnel: TUN, MTU and table are needed (config.Tunnel's defaults)")
	}
	if c.RulePriority == 0 {
		c.RulePriority = 10000
	}
	if c.OnEvent == nil {
		c.OnEvent = func(Event) {}
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.VerifyTimeout, 5 * time.Second}, {&c.MinBackoff, 2 * time.Second}, {&c.MaxBackoff, 5 * time.Minute},
		{&c.Recheck, 5 * time.Minute}, {&c.Poll, 30 * time.Second}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	return nil
}

// Addresses lists every address of the block (one for a /32).
func Addresses(block netip.Prefix) []netip.Addr {
	var as []netip.Addr
	for a := block.Masked().Addr(); block.Contains(a); a = a.Next() {
		as = append(as, a)
	}
	return as
}

// Run holds the tunnel until ctx ends, then undoes every host change. It
// returns an error only for what a retry cannot fix (privileges, a missing
// interface, the state directory).
func Run(ctx context.Context, cfg Config) (err error) {
	if err := cfg.defaults(); err != nil {
		return err
	}
	emit := func(e Event) { e.Time = time.Now(); cfg.OnEvent(e) }
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	j, err := hostnet.OpenJournal(filepath.Join(cfg.StateDir, "tunnel.journal"))
	if err != nil {
		return err
	}
	defer func() {
		if uerr := j.UndoAll(); uerr != nil && err == nil {
			err = fmt.Errorf("undoing host changes: %w (journal %s keeps them for the next start)", uerr, j.Path())
		}
		j.Close()
	}()
	if rec := j.Recovered(); len(rec) > 0 {
		var what []string
		for _, ch := range rec {
			what = append(what, ch.What)
		}
		emit(Event{Kind: KindCleanup, Reason: "removed leftovers of an earlier run: " + strings.Join(what, "; ")})
	}

	// The TUN with the fixed address(es) and reply routing, as for PPPoE.
	dev, err := j.CreateTUN(cfg.TUN, cfg.MTU)
	if err != nil {
		return err
	}
	if err := j.SetSysctl("net.ipv6.conf."+cfg.TUN+".disable_ipv6", "1"); err != nil {
		dev.Close()
		return err
	}
	routes := &hostnet.ReplyRoutes{J: j, TUN: cfg.TUN, Table: cfg.Table, Priority: cfg.RulePriority}
	if err := routes.Setup(); err != nil {
		dev.Close()
		return err
	}
	addrs := Addresses(cfg.Block)
	if err := routes.Set(addrs); err != nil {
		dev.Close()
		return err
	}

	// Address notices from netlink wake the prefix watch at once.
	changed := make(chan struct{}, 1)
	done := make(chan struct{})
	defer close(done)
	upd := make(chan netlink.AddrUpdate, 16)
	if err := netlink.AddrSubscribeWithOptions(upd, done, netlink.AddrSubscribeOptions{}); err == nil {
		go func() {
			for range upd {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		}()
	}
	wait := func(d time.Duration) bool { // false: ctx ended
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-changed:
		case <-t.C:
		}
		return true
	}

	// The first end point: wait for a prefix.
	var local netip.Addr
	var prefix netip.Prefix
	current := func() (netip.Addr, netip.Prefix, error) {
		as, err := hostnet.Addrs(cfg.Interface)
		if err != nil {
			return netip.Addr{}, netip.Prefix{}, err
		}
		p, ok := LinePrefix(as, local)
		if a, fixed := cfg.Endpoint(netip.Prefix{}); fixed {
			return a, p, nil
		}
		if !ok {
			return netip.Addr{}, netip.Prefix{}, msg.Err(msg.T("%s has no global IPv6 address from the router's advertisements yet",
				"%s にはルーターの広告によるグローバル IPv6 アドレスがまだありません", cfg.Interface))
		}
		a, _ := cfg.Endpoint(p)
		return a, p, nil
	}
	for {
		a, p, err := current()
		if errors.Is(err, hostnet.ErrInterfaceNotFound) {
			dev.Close()
			return err
		}
		if err == nil {
			local, prefix = a, p
			break
		}
		emit(Event{Kind: KindWaiting, Reason: err.Error(), Err: err})
		if !wait(cfg.Poll) {
			dev.Close()
			return nil
		}
	}
	if err := j.AddEndpointAddress(cfg.Interface, local); err != nil {
		dev.Close()
		return err
	}
	emit(Event{Kind: KindEndpoint, Local: local, Prefix: prefix})
	conn, err := hostnet.OpenIPIP6(cfg.BR, local)
	if err != nil {
		dev.Close()
		return err
	}
	dp, err := dataplane.NewTunnel(dataplane.TunnelConfig{TUN: dev, Link: conn, IPv4: cfg.Block, MTU: cfg.MTU})
	if err != nil {
		dev.Close()
		conn.Close()
		return err
	}
	dpCtx, stopDP := context.WithCancel(context.Background())
	dpDone := make(chan error, 1)
	go func() { dpDone <- dp.Run(dpCtx) }()
	defer func() {
		stopDP()
		<-dpDone
	}()

	needUpdate, verified := cfg.Update != nil, false
	backoff := cfg.MinBackoff
	// rxSeen is the count of packets from the BR at the last check: a BR
	// that does not route our probe back (some filter packets whose source
	// is their destination) still proves itself by delivering traffic to
	// the current end point.
	rxSeen := dp.Stats().RxPackets
	due := time.Now() // when the next update attempt or check is due
	for {
		// A new prefix: a new end point, the provider to be told.
		if a, p, err := current(); err == nil && a != local {
			if err := j.AddEndpointAddress(cfg.Interface, a); err != nil {
				return err
			}
			conn.SetSource(a)
			old := local
			if err := j.RemoveAddress(cfg.Interface, netip.PrefixFrom(old, 128)); err != nil {
				return err
			}
			local, prefix = a, p
			needUpdate, verified = cfg.Update != nil, false
			rxSeen = dp.Stats().RxPackets
			backoff, due = cfg.MinBackoff, time.Now()
			emit(Event{Kind: KindEndpoint, Local: local, Old: old, Prefix: prefix})
		}
		if !time.Now().Before(due) {
			if needUpdate {
				if err := cfg.Update(ctx, local); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					emit(Event{Kind: KindUpdate, State: "failed", Local: local, Reason: err.Error(), Err: err, RetryIn: backoff})
					due, backoff = time.Now().Add(backoff), min(backoff*2, cfg.MaxBackoff)
				} else {
					emit(Event{Kind: KindUpdate, State: "ok", Local: local})
					needUpdate = false
				}
			}
			if !needUpdate {
				err := dp.Probe(ctx, addrs[0], cfg.VerifyTimeout)
				if rx := dp.Stats().RxPackets; err != nil && rx > rxSeen {
					err = nil // no probe back, but traffic from the BR arrived
				}
				rxSeen = dp.Stats().RxPackets
				if err != nil {
					if ctx.Err() != nil {
						return nil
					}
					verified = false
					emit(Event{Kind: KindVerify, Local: local, Reason: err.Error(), Err: err, RetryIn: backoff})
					due, backoff = time.Now().Add(backoff), min(backoff*2, cfg.MaxBackoff)
				} else {
					if !verified {
						emit(Event{Kind: KindUp, Local: local, Prefix: prefix, Addresses: addrs})
					}
					verified, backoff = true, cfg.MinBackoff
					due = time.Now().Add(cfg.Recheck)
				}
			}
		}
		if !wait(min(time.Until(due), cfg.Poll)) {
			return nil
		}
	}
}
