package pppoe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A PADO as rp-pppoe's pppoe-server sends it (captured layout: AC-Name,
// Service-Name, AC-Cookie, Host-Uniq) followed by Ethernet padding.
var padoRP = []byte{
	0x11, 0x07, 0x00, 0x00, 0x00, 0x27,
	0x01, 0x02, 0x00, 0x07, 'r', 'l', 'a', 'b', '-', 'a', 'c',
	0x01, 0x01, 0x00, 0x08, 'r', 'l', 'a', 'b', '-', 's', 'v', 'c',
	0x01, 0x04, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef,
	0x01, 0x03, 0x00, 0x04, 1, 2, 3, 4,
	0, 0, 0, 0, 0, 0, // padding
}

func TestParseDiscoveryPADO(t *testing.T) {
	p, err := ParseDiscovery(padoRP)
	if err != nil {
		t.Fatal(err)
	}
	if p.Code != CodePADO || p.SessionID != 0 || len(p.Tags) != 4 {
		t.Fatalf("parsed %v", p)
	}
	if n, _ := p.ACName(); n != "rlab-ac" {
		t.Errorf("AC-Name %q", n)
	}
	if s, _ := p.ServiceName(); s != "rlab-svc" {
		t.Errorf("Service-Name %q", s)
	}
	if c, _ := p.Tag(TagACCookie); !bytes.Equal(c, []byte{0xde, 0xad, 0xbe, 0xef}) {
		t.Errorf("cookie % x", c)
	}
	b, err := p.Marshal()
	if err != nil || !bytes.Equal(b, padoRP[:len(padoRP)-6]) {
		t.Fatalf("re-marshal % x, %v", b, err)
	}
}

func TestParseDiscoveryErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"short", []byte{0x11, 0x09, 0, 0}, ErrShort},
		{"version", []byte{0x12, 0x09, 0, 0, 0, 0}, ErrVersion},
		{"session code", []byte{0x11, 0x00, 0, 0, 0, 0}, ErrCode},
		{"unknown code", []byte{0x11, 0x42, 0, 0, 0, 0}, ErrCode},
		{"length beyond frame", []byte{0x11, 0x09, 0, 0, 0, 5, 1, 1, 0, 0}, ErrLength},
		{"tag header cut", []byte{0x11, 0x09, 0, 0, 0, 2, 1, 1}, ErrMalformed},
		{"tag value beyond length", []byte{0x11, 0x09, 0, 0, 0, 5, 1, 1, 0, 2, 'x', 'y'}, ErrMalformed},
	} {
		if _, err := ParseDiscovery(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseDiscoveryEndOfList(t *testing.T) {
	b := []byte{0x11, 0x09, 0, 0, 0, 12, 1, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}
	p, err := ParseDiscovery(b)
	if err != nil || len(p.Tags) != 1 || p.Tags[0].Type != TagServiceName {
		t.Fatalf("got %v %v; want only Service-Name before End-Of-List", p, err)
	}
}

func TestErrorsAndMaxPayload(t *testing.T) {
	p := (&Packet{Code: CodePADS}).
		Add(TagACSystemError, []byte("session limit\nreached")).
		Add(TagPPPMaxPayload, []byte{0x05, 0xdc}).
		Add(TagVendorSpecific, []byte{0, 0, 0x0d, 0xe9, 1, 2})
	b, _ := p.Marshal()
	q, err := ParseDiscovery(b)
	if err != nil {
		t.Fatal(err)
	}
	errs := q.Errors()
	if len(errs) != 1 || errs[0].Type != TagACSystemError || errs[0].Text != "session limit\nreached" {
		t.Fatalf("errors %v", errs)
	}
	if s := errs[0].Error(); s != "PADS with AC-System-Error: session limit?reached" {
		t.Errorf("error text %q (control characters must not reach the terminal)", s)
	}
	if s := errs[0].SafeText(); s != "session limit?reached" {
		t.Errorf("SafeText %q", s)
	}
	if mp, ok := q.MaxPayload(); !ok || mp != 1500 {
		t.Errorf("MaxPayload %d %v", mp, ok)
	}
	if !strings.Contains(q.String(), "Vendor-Specific=00000de90102") {
		t.Errorf("String %s", q)
	}
}

func TestMarshalTooLarge(t *testing.T) {
	p := (&Packet{Code: CodePADI}).Add(TagServiceName, make([]byte, 1500))
	if _, err := p.Marshal(); err == nil {
		t.Fatal("oversized PADI marshalled")
	}
}

func TestNewPADT(t *testing.T) {
	p, err := ParseDiscovery(NewPADT(0x0102, "bye"))
	if err != nil || p.Code != CodePADT || p.SessionID != 0x0102 {
		t.Fatalf("%v %v", p, err)
	}
	if e := p.Errors(); len(e) != 1 || e[0].Text != "bye" {
		t.Fatalf("errors %v", e)
	}
}

func TestMACText(t *testing.T) {
	var m MAC
	if err := m.UnmarshalText([]byte("02:00:5e:10:00:01")); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.MarshalText(); string(b) != "02:00:5e:10:00:01" {
		t.Fatalf("%s", b)
	}
	if err := m.UnmarshalText([]byte("00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01")); err == nil {
		t.Fatal("accepted a 20-byte address")
	}
}

func FuzzParseDiscovery(f *testing.F) {
	f.Add(padoRP)
	f.Add(NewPADT(7, "x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseDiscovery(b)
		if err != nil {
			return
		}
		// What we parsed must encode back to the same bytes (up to an
		// End-Of-List tag and Ethernet padding).
		enc, err := p.Marshal()
		if err != nil {
			if len(b) > 1500 {
				return
			}
			t.Fatalf("marshal of parsed packet: %v", err)
		}
		q, err := ParseDiscovery(enc)
		if err != nil || q.Code != p.Code || q.SessionID != p.SessionID || len(q.Tags) != len(p.Tags) {
			t.Fatalf("round trip: %v vs %v (%v)", p, q, err)
		}
		_ = p.String()
		_ = p.Errors()
	})
}
