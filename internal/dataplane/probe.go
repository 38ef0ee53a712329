package dataplane

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/dualpath/dualpath/internal/inetsum"
)

// A tunnel probe is an ICMP echo request (RFC 792) from one of our fixed
// addresses to the same address, sent straight into the tunnel: the border
// relay routes it by its destination, which is ours, back down the tunnel.
// Its return shows that the BR accepts our tunnel end point and sends to
// it, without knowing any IPv4 address on the provider's side. The
// returning probe is recognised (identifier random per Tunnel) and never
// handed to the local stack, which would take a packet from its own
// address as spoofed.
type prober struct {
	id   uint16
	src  atomic.Pointer[netip.Addr]
	seq  atomic.Uint32
	back atomic.Uint32 // sequence number of the last probe that returned
}

const probeLen = 20 + 8 + 8

var probeMagic = [8]byte{'d', 'u', 'a', 'l', 'p', 'a', 't', 'h'}

func newProber() *prober {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return &prober{id: binary.BigEndian.Uint16(b[:]) | 1}
}

// build writes the probe with sequence seq from src into b[Headroom:].
func (p *prober) build(b []byte, src netip.Addr, seq uint16) []byte {
	pkt := b[Headroom : Headroom+probeLen]
	clear(pkt)
	pkt[0] = 0x45
	binary.BigEndian.PutUint16(pkt[2:], probeLen)
	pkt[6] = 0x40 // DF
	pkt[8], pkt[9] = 64, 1
	a := src.As4()
	copy(pkt[12:16], a[:])
	copy(pkt[16:20], a[:])
	binary.BigEndian.PutUint16(pkt[10:], inetsum.Checksum(0, pkt[:20]))
	icmp := pkt[20:]
	icmp[0] = 8 // echo request
	binary.BigEndian.PutUint16(icmp[4:], p.id)
	binary.BigEndian.PutUint16(icmp[6:], seq)
	copy(icmp[8:], probeMagic[:])
	binary.BigEndian.PutUint16(icmp[2:], inetsum.Checksum(0, icmp))
	return pkt
}

// returned reports whether pkt is one of our probes coming back, and
// records it.
func (p *prober) returned(pkt []byte) bool {
	src := p.src.Load()
	if src == nil || len(pkt) != probeLen || pkt[0] != 0x45 || pkt[9] != 1 {
		return false
	}
	a := src.As4()
	if [4]byte(pkt[12:16]) != a || [4]byte(pkt[16:20]) != a {
		return false
	}
	icmp := pkt[20:]
	if icmp[0] != 8 || icmp[1] != 0 || binary.BigEndian.Uint16(icmp[4:]) != p.id ||
		[8]byte(icmp[8:]) != probeMagic || inetsum.Checksum(0, icmp) != 0 {
		return false
	}
	p.back.Store(uint32(binary.BigEndian.Uint16(icmp[6:])))
	return true
}

// ErrNoProbeBack is Probe's answer when the border relay did not send the
// probe back in time.
var ErrNoProbeBack = errors.New("the border relay did not send the probe back through the tunnel")

// Probe sends a probe from src (one of the tunnel's addresses) and waits
// until it returns or timeout passes, sending again every second.
func (t *Tunnel) Probe(ctx context.Context, src netip.Addr, timeout time.Duration) error {
	if !t.block.Contains(src) {
		return fmt.Errorf("dataplane: probe source %s is not in %s", src, t.block)
	}
	t.probe.src.Store(&src)
	buf := make([]byte, Headroom+probeLen)
	deadline := time.Now().Add(timeout)
	for {
		seq := uint16(t.probe.seq.Add(1))
		pkt := t.probe.build(buf, src, seq)
		if _, err := t.e.writeLink([][]byte{pkt}); err != nil {
			return fmt.Errorf("sending the probe into the tunnel: %w", err)
		}
		next := time.Now().Add(time.Second)
		for time.Now().Before(next) {
			if uint16(t.probe.back.Load()) == seq {
				return nil
			}
			if time.Now().After(deadline) {
				return ErrNoProbeBack
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}
