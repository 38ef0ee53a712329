package dataplane

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// ipv4TCPSyn goes 192.0.2.1 -> 198.51.100.2: inbound for this block.
var fixedBlock = netip.MustParsePrefix("198.51.100.0/29")

func TestParseTunnelPacket(t *testing.T) {
	good := ipv4TCPSyn(nil)
	mod := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for name, tc := range map[string]struct {
		pkt  []byte
		want DropReason
	}{
		"to ours":      {good, dropNone},
		"short":        {good[:19], DropShort},
		"IPv6 inside":  {ipv6TCPSyn(nil), DropBadIP},
		"IHL 4":        {mod(func(p []byte) []byte { p[0] = 0x44; return p }), DropBadIP},
		"IHL too long": {mod(func(p []byte) []byte { p[0] = 0x4f; return p[:40] }), DropBadIP},
		"length long":  {mod(func(p []byte) []byte { binary.BigEndian.PutUint16(p[2:], 41); return p }), DropBadLength},
		"trailing":     {append(append([]byte(nil), good...), 0), DropBadLength},
		"not to ours":  {mod(func(p []byte) []byte { p[19] = 9; return p }), DropForeign},
		"spoofed own source": {mod(func(p []byte) []byte {
			copy(p[12:16], []byte{198, 51, 100, 3})
			return p
		}), DropForeign},
	} {
		if got := ParseTunnelPacket(tc.pkt, fixedBlock); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	// The last address of the block is ours too.
	last := mod(func(p []byte) []byte { p[19] = 7; return p })
	if got := ParseTunnelPacket(last, fixedBlock); got != dropNone {
		t.Errorf("198.51.100.7 of a /29: %v", got)
	}
	if got := ParseTunnelPacket(good, netip.MustParsePrefix("198.51.100.3/32")); got != DropForeign {
		t.Errorf("a /32 accepted another address: %v", got)
	}
}

// memTUN records what the engine writes to the TUN.
type memTUN struct{ written [][]byte }

func (m *memTUN) Read([][]byte, []int, int) (int, error) { select {} }
func (m *memTUN) BatchSize() int                         { return 1 }
func (m *memTUN) Write(bufs [][]byte, off int) (int, error) {
	for _, b := range bufs {
		m.written = append(m.written, append([]byte(nil), b[off:]...))
	}
	return len(bufs), nil
}

func newTestTunnel(t testing.TB, tun TUN) *Tunnel {
	tn, err := NewTunnel(TunnelConfig{TUN: tun, IPv4: fixedBlock, MTU: 1460})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// reverse swaps an IPv4 packet's addresses (a reply from our block).
func reverse(p []byte) []byte {
	q := append([]byte(nil), p...)
	copy(q[12:16], p[16:20])
	copy(q[16:20], p[12:16])
	return q
}

func TestTunnelOutbound(t *testing.T) {
	tun := &memTUN{}
	tn := newTestTunnel(t, tun)
	send := func(pkt []byte) []byte {
		buf := make([]byte, Headroom+maxPacket)
		n := copy(buf[Headroom:], pkt)
		return tn.e.outbound(buf, n)
	}
	// A reply from our address leaves as the bare IPv4 packet, MSS
	// clamped to 1460-40.
	syn := reverse(ipv4TCPSyn([]byte{2, 4, 0x05, 0xb4})) // MSS 1460
	out := send(syn)
	if len(out) != len(syn) || out[0] != 0x45 {
		t.Fatalf("sent % x", out)
	}
	if mss := binary.BigEndian.Uint16(out[42:44]); mss != 1420 {
		t.Errorf("MSS %d, want 1420", mss)
	}
	// Not from our block, or not IPv4: never into the tunnel.
	if send(ipv4TCPSyn(nil)) != nil || send(ipv6TCPSyn(nil)) != nil {
		t.Error("a foreign packet went into the tunnel")
	}
	// Too big with DF: dropped, and the stack hears "fragmentation needed"
	// with the tunnel MTU.
	big := make([]byte, 1500)
	copy(big, reverse(ipv4TCPSyn(nil)))
	binary.BigEndian.PutUint16(big[2:], 1500)
	big[6] = 0x40
	if send(big) != nil {
		t.Error("a 1500-byte packet went into a 1460 tunnel")
	}
	if len(tun.written) != 1 || tun.written[0][20] != 3 || tun.written[0][21] != 4 ||
		binary.BigEndian.Uint16(tun.written[0][26:28]) != 1460 {
		t.Fatalf("no ICMP fragmentation needed with MTU 1460: %x", tun.written)
	}
	s := tn.Stats()
	if s.TxPackets != 1 || s.Drops[DropForeign] != 2 || s.Drops[DropTooBig] != 1 || s.PacketTooBig != 1 || s.MSSClamped != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestTunnelInbound(t *testing.T) {
	tn := newTestTunnel(t, &memTUN{})
	recv := func(pkt []byte) []byte {
		buf := make([]byte, rxBufSize)
		n := copy(buf[Headroom:], pkt)
		return tn.inbound(buf, n)
	}
	syn := ipv4TCPSyn([]byte{2, 4, 0x05, 0xb4})
	out := recv(syn)
	if len(out) != Headroom+len(syn) || binary.BigEndian.Uint16(out[Headroom+42:]) != 1420 {
		t.Fatalf("delivered % x", out)
	}
	if recv(reverse(syn)) != nil {
		t.Error("a packet from our own block came in from outside")
	}
	if s := tn.Stats(); s.RxPackets != 1 || s.Drops[DropForeign] != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestNewTunnelRefusesBadConfig(t *testing.T) {
	for _, c := range []TunnelConfig{
		{IPv4: netip.MustParsePrefix("2001:db8::/64"), MTU: 1460},
		{IPv4: netip.MustParsePrefix("198.51.100.1/29"), MTU: 1460}, // not masked
		{IPv4: fixedBlock, MTU: 40},
		{MTU: 1460},
	} {
		if _, err := NewTunnel(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// FuzzParseTunnelPacket drives the tunnel's receive path with arbitrary
// payloads: no panic, each packet is delivered or dropped exactly once, and
// a delivered one is an IPv4 packet to our block, unchanged in length.
func FuzzParseTunnelPacket(f *testing.F) {
	f.Add(ipv4TCPSyn([]byte{2, 4, 0x05, 0xb4}))
	f.Add(ipv6TCPSyn(nil))
	f.Add([]byte{0x45, 0, 0, 20})
	p := &prober{id: fuzzProbeID}
	f.Add(append([]byte(nil), p.build(make([]byte, Headroom+probeLen), netip.MustParseAddr("198.51.100.2"), 7)...))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > maxPacket {
			return
		}
		tn := newTestTunnel(t, nil)
		src := netip.MustParseAddr("198.51.100.2") // a probe is out: its return is recognised
		tn.probe.src.Store(&src)
		tn.probe.id = fuzzProbeID
		buf := make([]byte, rxBufSize)
		n := copy(buf[Headroom:], pkt)
		out := tn.inbound(buf, n)
		s := tn.Stats()
		var drops uint64
		for _, v := range s.Drops {
			drops += v
		}
		probe := tn.probe.back.Load() != 0
		if s.RxPackets+drops+b2u(probe) != 1 {
			t.Fatalf("packet accounted %d times (probe %v)", s.RxPackets+drops, probe)
		}
		if probe && out != nil {
			t.Fatal("a returning probe reached the local stack")
		}
		if out == nil {
			return
		}
		p := out[Headroom:]
		if len(p) != len(pkt) || p[0]>>4 != 4 || !fixedBlock.Contains(netip.AddrFrom4([4]byte(p[16:20]))) {
			t.Fatalf("delivered % x", p)
		}
	})
}

const fuzzProbeID = 0x4243

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
