package dataplane

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

// hairpin is a Link whose far end routes every packet back (a BR sending a
// packet for our address down our tunnel), or drops everything (blackhole).
type hairpin struct {
	ch        chan []byte
	blackhole bool
	done      chan struct{}
}

func newHairpin(blackhole bool) *hairpin {
	return &hairpin{ch: make(chan []byte, 16), blackhole: blackhole, done: make(chan struct{})}
}

func (h *hairpin) WriteBatch(bufs [][]byte) (int, error) {
	for _, b := range bufs {
		if !h.blackhole {
			h.ch <- append([]byte(nil), b...)
		}
	}
	return len(bufs), nil
}

func (h *hairpin) ReadBatch(bufs [][]byte, sizes []int) (int, error) {
	select {
	case p := <-h.ch:
		sizes[0] = copy(bufs[0], p)
		return 1, nil
	case <-h.done:
		return 0, net.ErrClosed
	}
}

func (h *hairpin) Close() error { close(h.done); return nil }

func TestProbeComesBackThroughTheBR(t *testing.T) {
	for _, blackhole := range []bool{false, true} {
		tun := &memTUN{}
		tn, err := NewTunnel(TunnelConfig{TUN: tun, Link: newHairpin(blackhole), IPv4: fixedBlock, MTU: 1460})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go tn.e.linkToTUN()
		err = tn.Probe(ctx, netip.MustParseAddr("198.51.100.2"), 1500*time.Millisecond)
		cancel()
		if blackhole && err == nil {
			t.Error("a probe came back from a BR that drops everything")
		}
		if !blackhole && err != nil {
			t.Errorf("hairpinning BR: %v", err)
		}
		if len(tun.written) != 0 {
			t.Errorf("the probe reached the local stack: %x", tun.written)
		}
		tn.e.link.(*hairpin).Close()
	}
	tn := newTestTunnel(t, nil)
	if err := tn.Probe(context.Background(), netip.MustParseAddr("192.0.2.1"), time.Second); err == nil {
		t.Error("probe from an address outside the block")
	}
}
