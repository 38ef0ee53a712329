package dataplane

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/dualpath/dualpath/internal/inetsum"
	"github.com/dualpath/dualpath/pppoe"
)

var (
	macA = pppoe.MAC{0x02, 0, 0, 0, 0, 0x0a}
	macB = pppoe.MAC{0x02, 0, 0, 0, 0, 0x0b}
)

// ipv4TCPSyn builds an IPv4 TCP SYN with the given options and a correct
// checksum.
func ipv4TCPSyn(opts []byte) []byte {
	p := make([]byte, 20+20+len(opts))
	p[0], p[8], p[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	copy(p[12:], []byte{192, 0, 2, 1, 198, 51, 100, 2})
	binary.BigEndian.PutUint16(p[10:], inetsum.Checksum(0, p[:20]))
	tcp := p[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	tcp[12] = byte((20 + len(opts)) / 4 << 4)
	tcp[13] = 0x02
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	copy(tcp[20:], opts)
	binary.BigEndian.PutUint16(tcp[16:], ^tcpSum(p))
	return p
}

// ipv6TCPSyn builds an IPv6 TCP SYN with the given options.
func ipv6TCPSyn(opts []byte) []byte {
	p := make([]byte, 40+20+len(opts))
	p[0], p[6], p[7] = 0x60, 6, 64
	binary.BigEndian.PutUint16(p[4:], uint16(20+len(opts)))
	p[8], p[23] = 0x20, 1
	p[24], p[39] = 0x20, 2
	tcp := p[40:]
	tcp[12] = byte((20 + len(opts)) / 4 << 4)
	tcp[13] = 0x12 // SYN-ACK
	copy(tcp[20:], opts)
	binary.BigEndian.PutUint16(tcp[16:], ^tcpSum(p))
	return p
}

// tcpSum is the full TCP checksum sum (pseudo header included) with the
// checksum field as it is: a correct packet sums to 0xffff.
func tcpSum(p []byte) uint16 {
	var pseudo []byte
	var tcp []byte
	if p[0]>>4 == 4 {
		ihl := int(p[0]&0xf) * 4
		tcp = p[ihl:]
		pseudo = append(append(pseudo, p[12:20]...), 0, 6, byte(len(tcp)>>8), byte(len(tcp)))
	} else {
		tcp = p[40:]
		pseudo = append(append(pseudo, p[8:40]...), 0, 0, byte(len(tcp)>>8), byte(len(tcp)), 0, 0, 0, 6)
	}
	s := uint32(inetsum.Fold(inetsum.Sum(0, pseudo))) + uint32(inetsum.Fold(inetsum.Sum(0, tcp)))
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

func TestClampMSS(t *testing.T) {
	mss := func(v uint16) []byte { return []byte{2, 4, byte(v >> 8), byte(v)} }
	for _, tc := range []struct {
		name    string
		pkt     []byte
		mtu     int
		changed bool
		want    uint16
		at      int // offset of the MSS value in the packet
	}{
		{"v4 aligned", ipv4TCPSyn(append(mss(1460), 1, 1, 1, 0)), 1454, true, 1414, 42},
		{"v4 odd offset after NOP", ipv4TCPSyn(append(append([]byte{1}, mss(1460)...), 1, 1, 0)), 1454, true, 1414, 43},
		{"v4 already small", ipv4TCPSyn(append(mss(1400), 1, 1, 1, 0)), 1454, false, 1400, 42},
		{"v6 SYN-ACK", ipv6TCPSyn(append(mss(1440), 1, 1, 1, 0)), 1454, true, 1394, 62},
		{"v4 no MSS option", ipv4TCPSyn([]byte{1, 1, 1, 0}), 1454, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tcpSum(tc.pkt) != 0xffff {
				t.Fatal("test packet has a bad checksum")
			}
			if got := ClampMSS(tc.pkt, tc.mtu); got != tc.changed {
				t.Fatalf("ClampMSS changed = %v, want %v", got, tc.changed)
			}
			if tc.at > 0 {
				if got := binary.BigEndian.Uint16(tc.pkt[tc.at:]); got != tc.want {
					t.Errorf("MSS = %d, want %d", got, tc.want)
				}
			}
			if tcpSum(tc.pkt) != 0xffff {
				t.Errorf("checksum wrong after clamping")
			}
		})
	}
	// not a SYN: untouched
	p := ipv4TCPSyn(append(mss(1460), 1, 1, 1, 0))
	p[33] = 0x10 // ACK only
	if ClampMSS(p, 1454) {
		t.Error("clamped a non-SYN")
	}
}

func TestParseSessionFrame(t *testing.T) {
	ip := ipv4TCPSyn(nil)
	good := BuildSessionFrame(macB, macA, 0x1234, append([]byte{0x00, 0x21}, ip...))
	in, r := ParseSessionFrame(good)
	if r != dropNone || in.SessionID != 0x1234 || in.Proto != ProtoIPv4 || !bytes.Equal(in.Payload, ip) || in.Src != macA {
		t.Fatalf("good frame: %+v, %v", in, r)
	}
	small := BuildSessionFrame(macB, macA, 7, []byte{0xc0, 0x21, 9, 1, 0, 4})
	padded := append(append([]byte{}, small...), make([]byte, 60-len(small))...)
	if in, r := ParseSessionFrame(padded); r != dropNone || len(in.PPP) != 6 || in.Proto != 0xc021 {
		t.Errorf("padded LCP frame: %+v %v", in, r)
	}
	compressed := BuildSessionFrame(macB, macA, 7, append([]byte{0x21}, ip...))
	if in, r := ParseSessionFrame(compressed); r != dropNone || in.Proto != ProtoIPv4 || !bytes.Equal(in.Payload, ip) {
		t.Errorf("compressed protocol field: %+v %v", in, r)
	}
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	for name, tc := range map[string]struct {
		frame []byte
		want  DropReason
	}{
		"short":            {good[:20], DropShort},
		"discovery type":   {mut(func(b []byte) []byte { b[13] = 0x63; return b }), DropNotSession},
		"version":          {mut(func(b []byte) []byte { b[14] = 0x12; return b }), DropBadHeader},
		"code":             {mut(func(b []byte) []byte { b[15] = 0x09; return b }), DropBadHeader},
		"length too long":  {mut(func(b []byte) []byte { b[19]++; return b }), DropBadLength},
		"length too short": {mut(func(b []byte) []byte { b[19]--; return b }), DropBadLength},
		"IPv4 proto, v6":   {mut(func(b []byte) []byte { b[22] = 0x60; return b }), DropBadIP},
	} {
		if _, r := ParseSessionFrame(tc.frame); r != tc.want {
			t.Errorf("%s: drop reason %v, want %v", name, r, tc.want)
		}
	}
}

func TestPacketTooBig(t *testing.T) {
	buf := make([]byte, Headroom+1280)
	v4 := ipv4TCPSyn(make([]byte, 1480)) // 1520 bytes
	v4[6] |= 0x40                        // DF
	icmp := packetTooBig(buf, v4, 1454)
	if icmp == nil || icmp[9] != 1 || icmp[20] != 3 || icmp[21] != 4 || binary.BigEndian.Uint16(icmp[26:]) != 1454 {
		t.Fatalf("IPv4 PTB: % x", icmp)
	}
	if inetsum.Fold(inetsum.Sum(0, icmp[:20])) != 0xffff || inetsum.Fold(inetsum.Sum(0, icmp[20:])) != 0xffff {
		t.Error("IPv4 PTB checksums wrong")
	}
	if !bytes.Equal(icmp[12:16], v4[16:20]) || !bytes.Equal(icmp[16:20], v4[12:16]) || !bytes.Equal(icmp[28:], v4[:28]) {
		t.Error("IPv4 PTB addresses or quote wrong")
	}
	v4[6] &^= 0x40
	if packetTooBig(buf, v4, 1454) != nil {
		t.Error("PTB for a packet without DF")
	}
	v6 := ipv6TCPSyn(make([]byte, 1480))
	icmp = packetTooBig(buf, v6, 1454)
	if icmp == nil || len(icmp) != 1280 || icmp[6] != 58 || icmp[40] != 2 || binary.BigEndian.Uint32(icmp[44:]) != 1454 {
		t.Fatalf("IPv6 PTB: len %d % x", len(icmp), icmp[:48])
	}
	var pseudo []byte
	pseudo = append(append(pseudo, icmp[8:40]...), 0, 0, byte((len(icmp)-40)>>8), byte(len(icmp)-40), 0, 0, 0, 58)
	if s := uint32(inetsum.Fold(inetsum.Sum(0, pseudo))) + uint32(inetsum.Fold(inetsum.Sum(0, icmp[40:]))); (s>>16+s&0xffff)&0xffff != 0xffff {
		t.Error("IPv6 PTB checksum wrong")
	}
	// never answer an ICMP error
	icmp[6] = 0
	if packetTooBig(buf, icmp[:100], 1000) == nil {
		// an IPv6 packet with next header 0 is not an ICMP error: answered
		t.Error("no PTB for a hop-by-hop packet")
	}
	err4 := append([]byte(nil), v4[:60]...)
	err4[6] |= 0x40
	err4[9], err4[20] = 1, 3 // ICMP destination unreachable
	if packetTooBig(buf, err4, 40) != nil {
		t.Error("PTB for an ICMP error")
	}
}
