package mapetun

import (
	"net/netip"
	"testing"
)

func TestFixedBRFollowsTheRegisteredEndPoint(t *testing.T) {
	br := &FixedBR{Block: netip.MustParsePrefix("192.0.2.208/29")}
	in := ipv4(protoTCP, "192.0.2.2", "192.0.2.215", 7007, 80)
	if _, err := br.Encap(in); err == nil {
		t.Error("sent with no end point registered")
	}
	old, moved := netip.MustParseAddr("2001:db8:1:1::fe01"), netip.MustParseAddr("2001:db8:2:1::fe01")
	br.SetCE(old)
	if dst, err := br.Encap(in); err != nil || dst != old {
		t.Errorf("to %v, %v", dst, err)
	}
	if _, err := br.Encap(ipv4(protoTCP, "192.0.2.2", "192.0.2.216", 7007, 80)); err == nil {
		t.Error("an address outside the block was sent to the customer")
	}
	reply := ipv4(protoTCP, "192.0.2.215", "192.0.2.2", 80, 7007)
	if err := br.Decap(old, reply); err != nil {
		t.Errorf("reply refused: %v", err)
	}
	if err := br.Decap(old, ipv4(protoTCP, "192.0.2.99", "192.0.2.2", 80, 7007)); err == nil {
		t.Error("a spoofed source accepted")
	}
	br.SetCE(moved)
	if err := br.Decap(old, reply); err == nil {
		t.Error("the old end point still accepted after the update")
	}
	if dst, _ := br.Encap(in); dst != moved {
		t.Errorf("after the update: to %v", dst)
	}
}
