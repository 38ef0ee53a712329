package mapepath

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/dualpath/dualpath/internal/inetsum"
)

var (
	lan    = netip.MustParseAddr("192.168.1.10")
	public = netip.MustParseAddr("203.0.113.7")
	macA   = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macB   = net.HardwareAddr{2, 0, 0, 0, 0, 2}
)

func TestSYNFrame(t *testing.T) {
	s := SYN{SrcMAC: macA, DstMAC: macB, Src: lan, Dst: public, SrcPort: 40001, DstPort: 443, Seq: 0x01020304}
	f := s.Frame()
	if len(f) != 14+20+24 || binary.BigEndian.Uint16(f[12:14]) != 0x0800 || net.HardwareAddr(f[0:6]).String() != macB.String() {
		t.Fatalf("frame %x", f)
	}
	ip := f[14:34]
	if inetsum.Checksum(0, ip) != 0 {
		t.Error("IPv4 header checksum does not verify")
	}
	tcp := f[34:]
	if tcpChecksum([4]byte(ip[12:16]), [4]byte(ip[16:20]), tcp) != 0 {
		t.Error("TCP checksum does not verify")
	}
	if tcp[13] != flagSYN || binary.BigEndian.Uint16(tcp[2:4]) != 443 || binary.BigEndian.Uint32(tcp[4:8]) != 0x01020304 || tcp[20] != 2 {
		t.Errorf("TCP header %x", tcp)
	}
	r := s.Reset(0x0a0b0c0d)
	if r[34+13] != flagRST || binary.BigEndian.Uint32(r[34+4:34+8]) != 0x0a0b0c0d || len(r) != 14+20+20 {
		t.Errorf("reset %x", r)
	}
}

// answer builds the frame the server's answer arrives as: from public:port
// to lan:sport, with flags.
func answer(port, sport uint16, flags byte) []byte {
	f := segment(macB, macA, public, lan, port, sport, 7, 0x01020305, flags, false)
	return f
}

func TestParseAnswer(t *testing.T) {
	for _, c := range []struct {
		name  string
		frame []byte
		open  bool
		err   error
	}{
		{"syn-ack", answer(443, 40001, flagSYN|flagACK), true, nil},
		{"rst", answer(443, 40001, flagRST|flagACK), false, nil},
		{"plain ack", answer(443, 40001, flagACK), false, ErrNotForUs},
		{"from elsewhere", segment(macB, macA, netip.MustParseAddr("198.51.100.1"), lan, 443, 40001, 7, 1, flagSYN|flagACK, false), false, ErrNotForUs},
		{"to someone else", segment(macB, macA, public, netip.MustParseAddr("192.168.1.11"), 443, 40001, 7, 1, flagSYN|flagACK, false), false, ErrNotForUs},
		{"truncated", answer(443, 40001, flagSYN|flagACK)[:40], false, ErrShort},
	} {
		a, err := ParseAnswer(c.frame, public, lan)
		if !errors.Is(err, c.err) || err == nil && (a.Open != c.open || a.DstPort != 443 || a.SrcPort != 40001 || a.Ack != 0x01020305) {
			t.Errorf("%s: %+v %v", c.name, a, err)
		}
	}
}

func FuzzParseAnswer(f *testing.F) {
	f.Add(answer(80, 40000, flagSYN|flagACK))
	f.Add(answer(80, 40000, flagRST))
	f.Fuzz(func(t *testing.T, frame []byte) {
		a, err := ParseAnswer(frame, public, lan)
		if err == nil && a.DstPort == 0 && a.SrcPort == 0 && a.Open && len(frame) < 54 {
			t.Fatalf("accepted a frame too short for TCP: %x", frame)
		}
	})
}
