//go:build !linux

package ddns

import (
	"context"
	"errors"
)

func platformAddrs(ns, link string) ([]IfAddr, error) {
	return nil, errors.New("interface and pppoe address sources need Linux (netlink)")
}

func platformWatch(ctx context.Context, ns string) <-chan struct{} {
	ch := make(chan struct{})
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}
