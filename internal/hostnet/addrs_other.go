//go:build !linux

package hostnet

import (
	"context"
	"net/netip"
	"time"
)

// Addr is one address of an interface with netlink's flags and lifetimes.
type Addr struct {
	Prefix       netip.Prefix
	Flags        uint32
	Scope        uint8
	PreferredLft time.Duration
	ValidLft     time.Duration
}

// AddrForever is the lifetime of an address that never expires.
const AddrForever = time.Duration(1<<63 - 1)

// Addrs fails with ErrUnsupportedOS.
func Addrs(link string) ([]Addr, error) { return nil, ErrUnsupportedOS }

// AddrsIn fails with ErrUnsupportedOS.
func AddrsIn(nsName, link string) ([]Addr, error) { return nil, ErrUnsupportedOS }

// WatchAddrs returns a channel that is closed when ctx ends.
func WatchAddrs(ctx context.Context) <-chan struct{} { return WatchAddrsIn(ctx, "") }

// WatchAddrsIn returns a channel that is closed when ctx ends.
func WatchAddrsIn(ctx context.Context, nsName string) <-chan struct{} {
	ch := make(chan struct{})
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}
