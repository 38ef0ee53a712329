//go:build !linux

package hostnet

import (
	"context"
)

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
