package ppp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// networkPhase returns a Conn whose LCP is Opened and authenticated (no
// auth), with its first IPCP Configure-Request drained and returned.
func networkPhase(t *testing.T, cfg Config) (*Conn, Packet) {
	t.Helper()
	cfg.Auth = AuthNone
	c, err := NewConn(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Open(t0)
	req := controlPackets(c.Output(), ProtoLCP)[0]
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureAck, ID: req.ID, Data: req.Data}))
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureRequest, ID: 1, Data: []byte{1, 4, 5, 0xd4, 5, 6, 0xa, 0xb, 0xc, 0xd}}))
	if c.LCPState() != StateOpened {
		t.Fatalf("LCP %v", c.LCPState())
	}
	ps := controlPackets(c.Output(), ProtoIPCP)
	if len(ps) != 1 || ps[0].Code != CodeConfigureRequest {
		t.Fatalf("IPCP packets %+v", ps)
	}
	return c, ps[0]
}

func ipcpIn(c *Conn, p Packet) Packet {
	c.Input(t0, AppendFrame(nil, ProtoIPCP, p))
	ps := controlPackets(c.Output(), ProtoIPCP)
	if len(ps) == 0 {
		return Packet{}
	}
	return ps[len(ps)-1]
}

func opts(o ...Option) []byte { return AppendOptions(nil, o) }

func a4(s string) Option3 { return Option3(netip.MustParseAddr(s).As4()) }

// Option3 is an IPv4 option value in tests.
type Option3 [4]byte

func (v Option3) opt(t uint8) Option { return Option{Type: t, Data: v[:]} }

func TestIPCPClient(t *testing.T) {
	c, req := networkPhase(t, clientConfig())
	// RFC 1332 section 3.3 / RFC 1877: ask for 0.0.0.0 address and DNS.
	want := opts(a4("0.0.0.0").opt(ipcpAddress), a4("0.0.0.0").opt(ipcpDNS1), a4("0.0.0.0").opt(ipcpDNS2))
	if !bytes.Equal(req.Data, want) {
		t.Fatalf("first request %x, want %x", req.Data, want)
	}
	// The server Rejects secondary DNS and Naks the address and primary.
	r := ipcpIn(c, Packet{Code: CodeConfigureReject, ID: req.ID, Data: opts(a4("0.0.0.0").opt(ipcpDNS2))})
	want = opts(a4("0.0.0.0").opt(ipcpAddress), a4("0.0.0.0").opt(ipcpDNS1))
	if r.Code != CodeConfigureRequest || !bytes.Equal(r.Data, want) {
		t.Fatalf("after Reject: %+v, want request %x", r, want)
	}
	r = ipcpIn(c, Packet{Code: CodeConfigureNak, ID: r.ID, Data: opts(a4("198.51.100.7").opt(ipcpAddress), a4("198.51.100.53").opt(ipcpDNS1))})
	want = opts(a4("198.51.100.7").opt(ipcpAddress), a4("198.51.100.53").opt(ipcpDNS1))
	if r.Code != CodeConfigureRequest || !bytes.Equal(r.Data, want) {
		t.Fatalf("after Nak: %+v, want %x", r, want)
	}
	ipcpIn(c, Packet{Code: CodeConfigureAck, ID: r.ID, Data: r.Data})
	// The server's own request: its address is Acked, compression and
	// a request for DNS from us are Rejected.
	sreq := opts(Option{Type: ipcpCompression, Data: []byte{0, 0x2d, 0x0f, 1}}, a4("198.51.100.1").opt(ipcpAddress), a4("0.0.0.0").opt(ipcpDNS1))
	rep := ipcpIn(c, Packet{Code: CodeConfigureRequest, ID: 40, Data: sreq})
	if rep.Code != CodeConfigureReject || !bytes.Equal(rep.Data, opts(Option{Type: ipcpCompression, Data: []byte{0, 0x2d, 0x0f, 1}}, a4("0.0.0.0").opt(ipcpDNS1))) {
		t.Fatalf("reply %+v", rep)
	}
	rep = ipcpIn(c, Packet{Code: CodeConfigureRequest, ID: 41, Data: opts(a4("198.51.100.1").opt(ipcpAddress))})
	if rep.Code != CodeConfigureAck || !c.Up() {
		t.Fatalf("reply %+v, up %v", rep, c.Up())
	}
	p := c.Negotiated()
	if p.LocalIPv4.String() != "198.51.100.7" || p.PeerIPv4.String() != "198.51.100.1" || len(p.DNS) != 1 || p.DNS[0].String() != "198.51.100.53" {
		t.Errorf("params %+v", p)
	}
}

func TestIPCPServer(t *testing.T) {
	sc := serverConfig(AuthNone)
	calls := 0
	sc.AssignIPv4 = func() (netip.Addr, bool) { calls++; return poolAddr, true }
	s, req := networkPhase(t, sc)
	if !bytes.Equal(req.Data, opts(a4("192.0.2.1").opt(ipcpAddress))) {
		t.Fatalf("server request %x", req.Data)
	}
	tests := []struct {
		name     string
		in       []byte
		wantCode uint8
		want     []byte
	}{
		{"zero address and DNS", opts(a4("0.0.0.0").opt(ipcpAddress), a4("0.0.0.0").opt(ipcpDNS1), a4("0.0.0.0").opt(ipcpDNS2)),
			CodeConfigureNak, opts(a4("192.0.2.100").opt(ipcpAddress), a4("192.0.2.53").opt(ipcpDNS1), a4("192.0.2.54").opt(ipcpDNS2))},
		{"other address", opts(a4("10.0.0.1").opt(ipcpAddress)), CodeConfigureNak, opts(a4("192.0.2.100").opt(ipcpAddress))},
		{"VJ compression and NBNS", opts(a4("192.0.2.100").opt(ipcpAddress), Option{Type: ipcpCompression, Data: []byte{0, 0x2d, 0x0f, 1}}, a4("0.0.0.0").opt(ipcpNBNS1)),
			CodeConfigureReject, opts(Option{Type: ipcpCompression, Data: []byte{0, 0x2d, 0x0f, 1}}, a4("0.0.0.0").opt(ipcpNBNS1))},
		{"no address: prompted", opts(a4("192.0.2.53").opt(ipcpDNS1)), CodeConfigureNak, opts(a4("192.0.2.100").opt(ipcpAddress))},
		{"all right", opts(a4("192.0.2.100").opt(ipcpAddress), a4("192.0.2.53").opt(ipcpDNS1), a4("192.0.2.54").opt(ipcpDNS2)), CodeConfigureAck, nil},
	}
	for i, tt := range tests {
		rep := ipcpIn(s, Packet{Code: CodeConfigureRequest, ID: uint8(50 + i), Data: tt.in})
		want := tt.want
		if tt.wantCode == CodeConfigureAck {
			want = tt.in
		}
		if rep.Code != tt.wantCode || rep.ID != uint8(50+i) || !bytes.Equal(rep.Data, want) {
			t.Errorf("%s: got code %d %x, want %d %x", tt.name, rep.Code, rep.Data, tt.wantCode, want)
		}
	}
	if calls != 1 {
		t.Errorf("AssignIPv4 called %d times, want once per link", calls)
	}

	// An exhausted pool ends the link with a reason.
	sc.AssignIPv4 = func() (netip.Addr, bool) { return netip.Addr{}, false }
	s, _ = networkPhase(t, sc)
	ipcpIn(s, Packet{Code: CodeConfigureRequest, ID: 1, Data: opts(a4("0.0.0.0").opt(ipcpAddress))})
	if s.LCPState() != StateClosing {
		t.Errorf("LCP %v after pool exhaustion", s.LCPState())
	}
}

// TestIPv6CPCollision checks RFC 5072 section 4.1: an interface identifier
// equal to ours, or zero, is Nak'd with a different non-zero one.
func TestIPv6CPCollision(t *testing.T) {
	cfg := clientConfig()
	cfg.IPv6CP = true
	c, _ := networkPhase(t, cfg)
	ours := c.ipv6P.iid
	for _, v := range [][8]byte{ours, {}} {
		c.Input(t0, AppendFrame(nil, ProtoIPv6CP, Packet{Code: CodeConfigureRequest, ID: 3, Data: opts(Option{Type: ipv6cpIID, Data: v[:]})}))
		rep := controlPackets(c.Output(), ProtoIPv6CP)
		last := rep[len(rep)-1]
		o, err := ParseOptions(last.Data)
		if last.Code != CodeConfigureNak || err != nil || len(o) != 1 || len(o[0].Data) != 8 {
			t.Fatalf("reply %+v", last)
		}
		s := [8]byte(o[0].Data)
		if s == ours || s == ([8]byte{}) || s == v {
			t.Errorf("suggested %x (ours %x, theirs %x)", s, ours, v)
		}
	}
}

// TestRFC4638MRU checks that an MRU above 1492 is only requested when the
// lower layer allows it (MaxMRU from PPP-Max-Payload).
func TestRFC4638MRU(t *testing.T) {
	for _, tt := range []struct {
		mru, max uint16
		want     uint16
	}{
		{1500, 0, 1492}, {1500, 1500, 1500}, {0, 0, 1492}, {1454, 0, 1454}, {2000, 1500, 1500},
	} {
		cfg := clientConfig()
		cfg.MRU, cfg.MaxMRU = tt.mru, tt.max
		c, err := NewConn(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.Open(t0)
		req := controlPackets(c.Output(), ProtoLCP)[0]
		o := lcpOption(t, req.Data, lcpMRU)
		if len(o) != 2 || u16(o) != tt.want {
			t.Errorf("MRU %d max %d: requested %x, want %d", tt.mru, tt.max, o, tt.want)
		}
	}
	// Back to back at 1500 both ways when both ends are allowed to.
	cc, sc := clientConfig(), serverConfig(AuthPAP)
	cc.MRU, cc.MaxMRU, sc.MRU, sc.MaxMRU = 1500, 1500, 1500, 1500
	w := upWire(t, cc, sc)
	if w.c.Negotiated().MTU != 1500 || w.s.Negotiated().MTU != 1500 {
		t.Errorf("MTU %d / %d", w.c.Negotiated().MTU, w.s.Negotiated().MTU)
	}
	// A peer asking for 1500 while we may only send 1492: MTU capped.
	cc.MaxMRU = 0
	cc.MRU = 1492
	w = upWire(t, cc, sc)
	if w.c.Negotiated().MTU != 1492 {
		t.Errorf("capped MTU %d", w.c.Negotiated().MTU)
	}
}

func TestParsePacketMalformed(t *testing.T) {
	for _, b := range [][]byte{
		nil, {1}, {1, 2, 0}, {1, 2, 0, 3}, {1, 2, 0, 9, 0, 0}, {1, 2, 0xff, 0xff},
	} {
		if _, err := ParsePacket(b); err == nil {
			t.Errorf("ParsePacket(%x) accepted", b)
		}
	}
	p, err := ParsePacket([]byte{9, 1, 0, 8, 1, 2, 3, 4, 0xee, 0xee})
	if err != nil || p.Code != 9 || p.ID != 1 || !bytes.Equal(p.Data, []byte{1, 2, 3, 4}) {
		t.Errorf("padding not ignored: %+v %v", p, err)
	}
	for _, b := range [][]byte{{1}, {1, 1}, {1, 0}, {1, 5, 0, 0}, {1, 4, 5, 0xd4, 5}, {1, 4, 5, 0xd4, 5, 7, 1, 2, 3, 4}} {
		if _, err := ParseOptions(b); !errors.Is(err, ErrBadOption) {
			t.Errorf("ParseOptions(%x) = %v", b, err)
		}
	}
	for _, b := range [][]byte{nil, {0xc0}, {0xc0, 0x20}} {
		if _, _, err := ParseFrame(b); err == nil {
			t.Errorf("ParseFrame(%x) accepted", b)
		}
	}
	if proto, info, err := ParseFrame([]byte{0x21, 0x45}); err != nil || proto != ProtoIPv4 || len(info) != 1 {
		t.Errorf("compressed protocol field: %x %x %v", proto, info, err)
	}

	// Malformed packets change nothing and cause no output.
	w := upWire(t, clientConfig(), serverConfig(AuthCHAP))
	for _, f := range [][]byte{
		{0xc0, 0x21},
		{0xc0, 0x21, 1, 1, 0, 2},
		{0xc0, 0x21, 1, 1, 0, 9, 1, 4, 5},                       // length beyond data
		{0xc0, 0x21, 1, 1, 0, 7, 1, 4, 5},                       // truncated option
		{0xc0, 0x21, 1, 1, 0, 6, 1, 0},                          // option length 0
		{0xc0, 0x21, 2, 1, 0, 6, 1, 1},                          // bogus Ack
		{0xc0, 0x21, 7, 1, 0, 4},                                // empty Code-Reject
		{0xc0, 0x21, 8, 1, 0, 5, 0x80},                          // short Protocol-Reject
		{0xc0, 0x21, 9, 1, 0, 6, 1, 2},                          // short Echo-Request
		{0xc2, 0x23, 1, 1, 0, 5, 0},                             // CHAP challenge without value
		{0xc2, 0x23, 1, 1, 0, 6, 9, 1},                          // value size beyond
		{0xc0, 0x23, 1, 1, 0, 6, 4, 'a'},                        // PAP truncated
		{0x80, 0x21, 1, 1, 0, 10, 3, 6, 0, 0, 0},                // IPCP short
		{0x80, 0x21, 1, 1, 0, 10, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0}, // wrong option length
	} {
		w.c.Input(w.now, f)
		w.s.Input(w.now, f)
		for _, out := range append(w.c.Output(), w.s.Output()...) {
			checkFrame(t, out)
			if proto, _, _ := ParseFrame(out); proto == ProtoLCP {
				t.Errorf("%x produced %x", f, out)
			}
		}
	}
	if !w.c.Up() || !w.s.Up() || w.c.LCPState() != StateOpened {
		t.Error("malformed input took the link down")
	}
}
