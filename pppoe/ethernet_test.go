package pppoe

import (
	"bytes"
	"testing"
)

func TestEthernetRoundTripAndVLAN(t *testing.T) {
	dst, src := MAC{2, 0, 0, 0, 0, 1}, MAC{2, 0, 0, 0, 0, 2}
	f := append(AppendEthernet(nil, dst, src, EtherTypeDiscovery), 0x11, 0x09)
	h, p, err := ParseEthernet(f)
	if err != nil || h.Dst != dst || h.Src != src || h.EtherType != EtherTypeDiscovery || h.Tagged || !bytes.Equal(p, []byte{0x11, 0x09}) {
		t.Fatalf("untagged: %+v %x %v", h, p, err)
	}
	// The same frame with an 802.1Q tag, PCP 3, VLAN 101 (0x065).
	tagged := append(append(append([]byte(nil), f[:12]...), 0x81, 0x00, 0x60, 0x65), f[12:]...)
	h, p, err = ParseEthernet(tagged)
	if err != nil || !h.Tagged || h.VLAN != 101 || h.EtherType != EtherTypeDiscovery || h.Src != src || !bytes.Equal(p, []byte{0x11, 0x09}) {
		t.Fatalf("tagged: %+v %x %v", h, p, err)
	}
	for _, short := range [][]byte{f[:13], tagged[:16]} {
		if _, _, err := ParseEthernet(short); err != ErrShortFrame {
			t.Errorf("%x: %v, want ErrShortFrame", short, err)
		}
	}
}

// FuzzParseEthernet: any bytes decode without panic, and a decoded header
// re-encodes (untagged) to the frame's addresses and type.
func FuzzParseEthernet(f *testing.F) {
	f.Add(append(AppendEthernet(nil, Broadcast, MAC{2, 0, 0, 0, 0, 2}, EtherTypeDiscovery), 0x11, 0x09, 0, 0, 0, 0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0x00, 0x0a, 0x88, 0x63, 0x11, 0x07})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, p, err := ParseEthernet(b)
		if err != nil {
			return
		}
		if hdr := AppendEthernet(nil, h.Dst, h.Src, h.EtherType); !h.Tagged && !bytes.Equal(append(hdr, p...), b) {
			t.Fatalf("untagged frame does not re-encode: %x vs %x", append(hdr, p...), b)
		}
		if h.Tagged && len(p) != len(b)-EthHeaderLen-4 {
			t.Fatalf("tagged payload length %d of %d", len(p), len(b))
		}
	})
}
