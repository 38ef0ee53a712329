package hostnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Addrs lists the addresses of link in the current network namespace.
func Addrs(link string) ([]Addr, error) { return AddrsIn("", link) }

// AddrsIn lists the addresses of link in the named network namespace
// (/run/netns/NAME); "" is the current one.
func AddrsIn(nsName, link string) ([]Addr, error) {
	h, err := handleIn(nsName)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, &interfaceError{msg.T("interface not found: %s", "インターフェース %s がありません", link)}
		}
		return nil, fmt.Errorf("interface %s: %v", link, err)
	}
	as, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("addresses of %s: %v", link, err)
	}
	out := make([]Addr, 0, len(as))
	for _, a := range as {
		if a.IPNet == nil {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ones, _ := a.Mask.Size()
		ip = ip.Unmap()
		out = append(out, Addr{
			Prefix:       netip.PrefixFrom(ip, ones),
			Flags:        AddrFlags(a.Flags),
			Scope:        uint8(a.Scope),
			PreferredLft: lifetime(a.PreferedLft),
			ValidLft:     lifetime(a.ValidLft),
		})
	}
	return out, nil
}

func lifetime(s int) time.Duration {
	if uint32(s) == 0xffffffff {
		return AddrForever
	}
	return time.Duration(s) * time.Second
}

func handleIn(nsName string) (*netlink.Handle, error) {
	if nsName == "" {
		return netlink.NewHandle()
	}
	ns, err := netns.GetFromName(nsName)
	if err != nil {
		return nil, fmt.Errorf("network namespace %s: %v", nsName, err)
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

// WatchAddrs reports address changes (RTM_NEWADDR/RTM_DELADDR, including
// lifetime updates) in the current namespace. Bursts are coalesced: the
// channel holds at most one pending notification. The channel is closed
// when ctx ends. A broken subscription is re-established after a second.
func WatchAddrs(ctx context.Context) <-chan struct{} { return WatchAddrsIn(ctx, "") }

// WatchAddrsIn is WatchAddrs for the named network namespace ("" = current).
func WatchAddrsIn(ctx context.Context, nsName string) <-chan struct{} {
	out := make(chan struct{}, 1)
	notify := func() {
		select {
		case out <- struct{}{}:
		default:
		}
	}
	go func() {
		defer close(out)
		for ctx.Err() == nil {
			ch := make(chan netlink.AddrUpdate, 64)
			done := make(chan struct{})
			opts := netlink.AddrSubscribeOptions{ErrorCallback: func(error) {}}
			var ns netns.NsHandle
			if nsName != "" {
				var err error
				if ns, err = netns.GetFromName(nsName); err != nil {
					if !sleepCtx(ctx, time.Second) {
						return
					}
					continue
				}
				opts.Namespace = &ns
			}
			err := netlink.AddrSubscribeWithOptions(ch, done, opts)
			if nsName != "" {
				ns.Close()
			}
			if err != nil {
				if !sleepCtx(ctx, time.Second) {
					return
				}
				continue
			}
			notify() // something may have changed while we were not listening
		recv:
			for {
				select {
				case <-ctx.Done():
					close(done)
					for range ch {
					}
					return
				case _, ok := <-ch:
					if !ok {
						close(done)
						break recv
					}
					notify()
				}
			}
			if !sleepCtx(ctx, time.Second) {
				return
			}
		}
	}()
	return out
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
