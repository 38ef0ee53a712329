package ppp

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// upWire returns a client and server brought up back to back.
func upWire(t *testing.T, cc, sc Config) *wire {
	t.Helper()
	w := newWire(t, cc, sc)
	w.s.Open(w.now)
	w.c.Open(w.now)
	if !w.run(time.Minute, bothUp(w)) {
		t.Fatalf("not up: %v / %v", kinds(w.evC), kinds(w.evS))
	}
	w.step()
	w.evC, w.evS, w.fromC, w.fromS = nil, nil, nil, nil
	return w
}

func lcpFrame(p Packet) []byte { return AppendFrame(nil, ProtoLCP, p) }

func TestEchoKeepalive(t *testing.T) {
	t.Run("echo replies keep the link up", func(t *testing.T) {
		w := upWire(t, clientConfig(), serverConfig(AuthPAP))
		w.run(5*time.Minute, func() bool { return false })
		if !w.c.Up() || !w.s.Up() {
			t.Fatalf("link went down: %v / %v", kinds(w.evC), kinds(w.evS))
		}
		var reqs, replies int
		for _, p := range controlPackets(w.fromC, ProtoLCP) {
			if p.Code == CodeEchoRequest {
				reqs++
			}
		}
		for _, p := range controlPackets(w.fromS, ProtoLCP) {
			if p.Code == CodeEchoReply {
				replies++
			}
		}
		if reqs < 25 || replies < 25 {
			t.Fatalf("%d echo requests, %d replies in 5 minutes at 10 s", reqs, replies)
		}
	})
}

// TestEchoReply checks RFC 1661 section 5.8: an Echo-Reply carries our
// magic number and the request's data, truncated to the peer's MRU, and
// echo requests outside the Opened state are ignored.
func TestEchoReply(t *testing.T) {
	w := upWire(t, clientConfig(), serverConfig(AuthPAP))
	data := append([]byte{1, 2, 3, 4}, bytes.Repeat([]byte{0xab}, 3000)...)
	w.c.Input(w.now, lcpFrame(Packet{Code: CodeEchoRequest, ID: 77, Data: data}))
	out := w.c.Output()
	if len(out) != 1 {
		t.Fatalf("%d frames", len(out))
	}
	checkFrame(t, out[0])
	p, _ := ParsePacket(out[0][2:])
	if p.Code != CodeEchoReply || p.ID != 77 || p.Len() != 1492 {
		t.Fatalf("reply code %d id %d len %d, want 10/77/1492 (peer MRU)", p.Code, p.ID, p.Len())
	}
	if u32(p.Data) != w.c.lcpP.magic || !bytes.Equal(p.Data[4:], data[4:1488]) {
		t.Errorf("reply data wrong")
	}
	w.c.Input(w.now, lcpFrame(Packet{Code: CodeDiscardRequest, ID: 78, Data: []byte{0, 0, 0, 0}}))
	if out := w.c.Output(); len(out) != 0 {
		t.Errorf("Discard-Request answered: %x", out)
	}
	c, _ := NewConn(clientConfig())
	c.Open(t0)
	c.Output()
	c.Input(t0, lcpFrame(Packet{Code: CodeEchoRequest, ID: 1, Data: []byte{0, 0, 0, 0}}))
	if out := c.Output(); len(out) != 0 {
		t.Errorf("echo answered in state %v", c.LCPState())
	}
}

// TestProtocolReject checks RFC 1661 section 5.7: CCP, an unknown protocol
// and IPv6CP (when disabled) get an LCP Protocol-Reject carrying the
// protocol and the rejected information.
func TestProtocolReject(t *testing.T) {
	w := upWire(t, clientConfig(), serverConfig(AuthCHAP))
	ccpReq := []byte{0x80, 0xfd, 1, 1, 0, 10, 0x12, 6, 0, 0, 0, 1} // CCP Configure-Request, MPPE
	unknown := []byte{0x02, 0x81, 9, 9, 9}
	v6cp := AppendFrame(nil, ProtoIPv6CP, Packet{Code: CodeConfigureRequest, ID: 1, Data: []byte{1, 10, 1, 2, 3, 4, 5, 6, 7, 8}})
	for _, conn := range []*Conn{w.c, w.s} {
		for _, f := range [][]byte{ccpReq, unknown, v6cp} {
			conn.Input(w.now, f)
			out := conn.Output()
			if len(out) != 1 {
				t.Fatalf("%x: %d frames out", f, len(out))
			}
			checkFrame(t, out[0])
			proto, info, _ := ParseFrame(out[0])
			p, _ := ParsePacket(info)
			if proto != ProtoLCP || p.Code != CodeProtocolReject || !bytes.Equal(p.Data, f) {
				t.Errorf("for %x got proto %04x %+v", f, proto, p)
			}
		}
	}
	// The peer Protocol-Rejecting IPv6CP ends IPv6CP only; the link stays.
	cc, sc := clientConfig(), serverConfig(AuthPAP)
	cc.IPv6CP = true
	w2 := newWire(t, cc, sc)
	w2.s.Open(w2.now)
	w2.c.Open(w2.now)
	w2.run(time.Minute, func() bool { return false })
	if !w2.c.Up() || w2.c.ipv6cp.state != StateStopped || w2.c.Negotiated().IPv6Up {
		t.Errorf("client Up %v, IPv6CP %v", w2.c.Up(), w2.c.ipv6cp.state)
	}
	// Before LCP is open nothing is rejected (RFC 1661 section 5.7).
	c, _ := NewConn(clientConfig())
	c.Open(t0)
	c.Output()
	c.Input(t0, ccpReq)
	if out := c.Output(); len(out) != 0 {
		t.Errorf("rejected before Opened: %x", out)
	}
}

// TestClientAuthNegotiation checks the client's answer to the server's
// Authentication-Protocol option: MS-CHAP, MS-CHAPv2 and EAP are Nak'd
// towards CHAP-MD5 (or PAP when only PAP is allowed).
func TestClientAuthNegotiation(t *testing.T) {
	magic := Option{Type: lcpMagic, Data: []byte{9, 8, 7, 6}}
	tests := []struct {
		name     string
		accept   AuthMethod
		offer    []byte
		wantCode uint8
		wantOpt  []byte
	}{
		{"ms-chap", AuthAuto, []byte{0xc2, 0x23, 0x80}, CodeConfigureNak, []byte{3, 5, 0xc2, 0x23, 5}},
		{"ms-chapv2", AuthAuto, []byte{0xc2, 0x23, 0x81}, CodeConfigureNak, []byte{3, 5, 0xc2, 0x23, 5}},
		{"eap", AuthAuto, []byte{0xc2, 0x27}, CodeConfigureNak, []byte{3, 5, 0xc2, 0x23, 5}},
		{"ms-chapv2, pap only", AuthPAP, []byte{0xc2, 0x23, 0x81}, CodeConfigureNak, []byte{3, 4, 0xc0, 0x23}},
		{"chap-md5, pap only", AuthPAP, []byte{0xc2, 0x23, 5}, CodeConfigureNak, []byte{3, 4, 0xc0, 0x23}},
		{"pap, chap only", AuthCHAP, []byte{0xc0, 0x23}, CodeConfigureNak, []byte{3, 5, 0xc2, 0x23, 5}},
		{"pap", AuthAuto, []byte{0xc0, 0x23}, CodeConfigureAck, nil},
		{"chap-md5", AuthAuto, []byte{0xc2, 0x23, 5}, CodeConfigureAck, nil},
		{"none accepted", AuthNone, []byte{0xc0, 0x23}, CodeConfigureReject, []byte{3, 4, 0xc0, 0x23}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := clientConfig()
			cfg.Auth = tt.accept
			c, err := NewConn(cfg)
			if err != nil {
				t.Fatal(err)
			}
			c.Open(t0)
			c.Output()
			opts := AppendOptions(nil, []Option{{Type: lcpMRU, Data: []byte{0x05, 0xd4}}, {Type: lcpAuth, Data: tt.offer}, magic})
			c.Input(t0, lcpFrame(Packet{Code: CodeConfigureRequest, ID: 5, Data: opts}))
			out := c.Output()
			if len(out) != 1 {
				t.Fatalf("%d frames", len(out))
			}
			p, _ := ParsePacket(out[0][2:])
			if p.Code != tt.wantCode || p.ID != 5 {
				t.Fatalf("code %d id %d, want %d", p.Code, p.ID, tt.wantCode)
			}
			want := tt.wantOpt
			if tt.wantCode == CodeConfigureAck {
				want = opts
			}
			if !bytes.Equal(p.Data, want) {
				t.Errorf("options %x, want %x", p.Data, want)
			}
		})
	}
}

// TestForbiddenOptions checks RFC 2516 section 7: ACCM, ACFC and
// FCS-Alternatives are rejected, as are PFC and unknown options.
func TestForbiddenOptions(t *testing.T) {
	c, _ := NewConn(clientConfig())
	c.Open(t0)
	c.Output()
	opts := AppendOptions(nil, []Option{
		{Type: lcpMRU, Data: []byte{0x05, 0xd4}},
		{Type: lcpACCM, Data: []byte{0, 0, 0, 0}},
		{Type: lcpMagic, Data: []byte{1, 2, 3, 4}},
		{Type: lcpPFC},
		{Type: lcpACFC},
		{Type: 9, Data: []byte{2}},
		{Type: 13, Data: []byte{6}}, // callback
	})
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureRequest, ID: 9, Data: opts}))
	out := c.Output()
	p, _ := ParsePacket(out[0][2:])
	want := AppendOptions(nil, []Option{{Type: lcpACCM, Data: []byte{0, 0, 0, 0}}, {Type: lcpPFC}, {Type: lcpACFC}, {Type: 9, Data: []byte{2}}, {Type: 13, Data: []byte{6}}})
	if p.Code != CodeConfigureReject || !bytes.Equal(p.Data, want) {
		t.Errorf("got code %d %x, want Reject %x", p.Code, p.Data, want)
	}
	// A too small MRU is Nak'd up to 128.
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureRequest, ID: 10, Data: []byte{1, 4, 0, 64}}))
	p, _ = ParsePacket(c.Output()[0][2:])
	if p.Code != CodeConfigureNak || !bytes.Equal(p.Data, []byte{1, 4, 0, 128}) {
		t.Errorf("MRU 64: code %d %x", p.Code, p.Data)
	}
}

// splitReader yields the first n bytes of a, then b.
func splitReader(a io.Reader, n int64, b io.Reader) io.Reader {
	return io.MultiReader(io.LimitReader(a, n), b)
}

// TestMagicNumberLoop checks RFC 1661 section 6.4: equal magic numbers are
// Nak'd with a new value and both ends choose again; a looped-back line
// (our own requests come back) is detected and ends the link.
func TestMagicNumberLoop(t *testing.T) {
	t.Run("equal magic numbers resolve", func(t *testing.T) {
		cc, sc := clientConfig(), serverConfig(AuthPAP)
		// The server's random source starts like the client's: 4
		// identifier bytes, then the same magic number.
		sc.Rand = splitReader(seeded(1), 8, seeded(99))
		w := newWire(t, cc, sc)
		w.s.Open(w.now)
		w.c.Open(w.now)
		first := controlPackets(w.c.out, ProtoLCP)[0]
		if !w.run(time.Minute, bothUp(w)) {
			t.Fatalf("not up: %v / %v", kinds(w.evC), kinds(w.evS))
		}
		sfirst := controlPackets(w.fromS, ProtoLCP)[0]
		if !bytes.Equal(lcpOption(t, first.Data, lcpMagic), lcpOption(t, sfirst.Data, lcpMagic)) {
			t.Fatal("test set-up: the first magic numbers differ")
		}
		naks := 0
		for _, p := range append(controlPackets(w.fromC, ProtoLCP), controlPackets(w.fromS, ProtoLCP)...) {
			if p.Code == CodeConfigureNak && lcpOption(t, p.Data, lcpMagic) != nil {
				naks++
			}
		}
		if naks == 0 {
			t.Error("equal magic numbers were not Nak'd")
		}
		if w.c.lcpP.magic == w.s.lcpP.magic {
			t.Error("magic numbers still equal")
		}
	})
	t.Run("looped back line", func(t *testing.T) {
		c, _ := NewConn(clientConfig())
		now := t0
		c.Open(now)
		var evs []Event
		for i := 0; i < 1000; i++ {
			out := c.Output()
			if len(out) == 0 {
				if c.NextDeadline().IsZero() {
					break
				}
				now = c.NextDeadline()
				c.Tick(now)
				continue
			}
			for _, f := range out {
				c.Input(now, f) // the line hands us our own frames
			}
			evs = append(evs, c.Events()...)
		}
		evs = append(evs, c.Events()...)
		e, ok := findEvent(evs, EventDown)
		if !ok || !strings.Contains(e.Reason, "looped back") {
			t.Fatalf("events %v, down reason %q", kinds(evs), e.Reason)
		}
	})
}

func lcpOption(t *testing.T, opts []byte, typ uint8) []byte {
	t.Helper()
	os, err := ParseOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range os {
		if o.Type == typ {
			return o.Data
		}
	}
	return nil
}

// TestTerminate checks RFC 1661 section 5.5: an administrative Close sends
// Terminate-Request and the peer acknowledges; both report EventDown with
// the reason. With a silent peer, Terminate-Request is sent Max-Terminate
// times, then the link is down.
func TestTerminate(t *testing.T) {
	t.Run("acknowledged", func(t *testing.T) {
		w := upWire(t, clientConfig(), serverConfig(AuthCHAP))
		w.c.Close(w.now, "shutting down")
		downBoth := func() bool {
			_, a := findEvent(w.evC, EventDown)
			_, b := findEvent(w.evS, EventDown)
			return a && b
		}
		if !w.run(time.Minute, downBoth) {
			t.Fatalf("not down: %v / %v", kinds(w.evC), kinds(w.evS))
		}
		ec, _ := findEvent(w.evC, EventDown)
		es, _ := findEvent(w.evS, EventDown)
		if ec.Reason != "shutting down" || !strings.Contains(es.Reason, "peer requested termination (shutting down)") {
			t.Errorf("reasons %q / %q", ec.Reason, es.Reason)
		}
		if _, ok := findEvent(w.evC, EventIPCPDown); !ok {
			t.Errorf("no ipcp-down: %v", kinds(w.evC))
		}
		if w.c.Up() || w.s.Up() || w.c.LCPState() != StateClosed || w.s.LCPState() != StateStopped {
			t.Errorf("states %v %v", w.c.LCPState(), w.s.LCPState())
		}
		// The client got its Terminate-Ack at once: no waiting.
		if !w.c.NextDeadline().IsZero() {
			t.Errorf("client timer still running")
		}
	})
	t.Run("max-terminate", func(t *testing.T) {
		w := upWire(t, clientConfig(), serverConfig(AuthPAP))
		start := w.now
		w.drop = func(bool, []byte) bool { return true }
		w.c.Close(w.now, "bye")
		w.run(time.Minute, func() bool { _, ok := findEvent(w.evC, EventDown); return ok })
		var treqs int
		for _, p := range controlPackets(w.fromC, ProtoLCP) {
			if p.Code == CodeTerminateRequest {
				treqs++
			}
		}
		if treqs != DefaultMaxTerminate {
			t.Errorf("%d Terminate-Requests, want %d", treqs, DefaultMaxTerminate)
		}
		if el := w.now.Sub(start); el != time.Duration(DefaultMaxTerminate)*DefaultRestartTimer {
			t.Errorf("down after %v", el)
		}
	})
	t.Run("close before open", func(t *testing.T) {
		c, _ := NewConn(clientConfig())
		c.Close(t0, "")
		if evs := c.Events(); len(evs) != 1 || evs[0].Kind != EventDown {
			t.Errorf("events %v", evs)
		}
		c.Close(t0, "")
		if evs := c.Events(); len(evs) != 0 {
			t.Errorf("second close: %v", evs)
		}
	})
	t.Run("no answer at all", func(t *testing.T) {
		c, _ := NewConn(clientConfig())
		now := t0
		c.Open(now)
		var reqs int
		for !c.NextDeadline().IsZero() {
			for _, f := range c.Output() {
				if p := controlPackets([][]byte{f}, ProtoLCP); len(p) == 1 && p[0].Code == CodeConfigureRequest {
					reqs++
				}
			}
			now = c.NextDeadline()
			c.Tick(now)
		}
		evs := c.Events()
		if reqs != DefaultMaxConfigure || len(evs) != 1 || evs[0].Kind != EventDown || !strings.Contains(evs[0].Reason, "no answer") {
			t.Errorf("%d requests, events %v", reqs, evs)
		}
	})
}

// TestAuthRetransmitAndTimeout checks that a lost PAP Authenticate-Request
// or CHAP Challenge is resent, and that a silent authenticator ends the
// link with a reason that is not a password complaint.
func TestAuthRetransmitAndTimeout(t *testing.T) {
	for _, auth := range []AuthMethod{AuthPAP, AuthCHAP} {
		t.Run(auth.String()+" lost once", func(t *testing.T) {
			w := newWire(t, clientConfig(), serverConfig(auth))
			lost := false
			w.drop = func(fromClient bool, f []byte) bool {
				proto, _, _ := ParseFrame(f)
				if !lost && (proto == ProtoPAP || proto == ProtoCHAP) {
					lost = true
					return true
				}
				return false
			}
			w.s.Open(w.now)
			w.c.Open(w.now)
			if !w.run(time.Minute, bothUp(w)) || !lost {
				t.Fatalf("not up after a lost auth packet: %v / %v", kinds(w.evC), kinds(w.evS))
			}
		})
		t.Run(auth.String()+" silent", func(t *testing.T) {
			w := newWire(t, clientConfig(), serverConfig(auth))
			w.drop = func(_ bool, f []byte) bool {
				proto, _, _ := ParseFrame(f)
				return proto == ProtoPAP || proto == ProtoCHAP
			}
			w.s.Open(w.now)
			w.c.Open(w.now)
			w.run(5*time.Minute, func() bool { _, ok := findEvent(w.evC, EventDown); return ok })
			e, ok := findEvent(w.evC, EventDown)
			if !ok || !strings.Contains(e.Reason, "authentication timed out") {
				t.Fatalf("client events %v reason %q", kinds(w.evC), e.Reason)
			}
			if _, failed := findEvent(w.evC, EventAuthFailed); failed {
				t.Error("a timeout is not a wrong password")
			}
		})
	}
}

// TestRenegotiation checks that a new LCP Configure-Request on an open
// link takes the network down and back up (RFC 1661 section 4.1,
// Opened+RCR: tld, scr, sca), including authentication and IPCP again.
func TestRenegotiation(t *testing.T) {
	w := upWire(t, clientConfig(), serverConfig(AuthCHAP))
	req := controlPackets(w.s.Output(), ProtoLCP) // nothing pending
	if len(req) != 0 {
		t.Fatalf("server has output %v", req)
	}
	w.c.Input(w.now, lcpFrame(Packet{Code: CodeConfigureRequest, ID: 201, Data: []byte{1, 4, 5, 0xd4, 3, 5, 0xc2, 0x23, 5, 5, 6, 1, 1, 1, 1}}))
	if w.c.Up() {
		t.Fatal("still up during renegotiation")
	}
	if !w.run(time.Minute, bothUp(w)) {
		t.Fatalf("not up again: %v / %v", kinds(w.evC), kinds(w.evS))
	}
	want := []EventKind{EventIPCPDown, EventLCPUp, EventAuthOK, EventIPCPUp}
	for _, evs := range [][]Event{w.evC, w.evS} {
		if got := kinds(evs); !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	}
}

// TestLowerDownAndReopen checks the Down event (PADT received): EventDown
// at once with the caller's reason and nothing sent; Open then starts a
// fresh negotiation that comes up again.
func TestLowerDownAndReopen(t *testing.T) {
	w := upWire(t, clientConfig(), serverConfig(AuthPAP))
	w.c.LowerDown(w.now, "PADT from access concentrator")
	if out := w.c.Output(); len(out) != 0 {
		t.Errorf("sent %x on lower-layer down", out)
	}
	evs := w.c.Events()
	if got := kinds(evs); !slices.Equal(got, []EventKind{EventIPCPDown, EventDown}) || evs[1].Reason != "PADT from access concentrator" {
		t.Fatalf("events %v", evs)
	}
	if w.c.Up() || w.c.LCPState() != StateStarting || !w.c.NextDeadline().IsZero() {
		t.Fatalf("after down: up %v LCP %v deadline %v", w.c.Up(), w.c.LCPState(), w.c.NextDeadline())
	}
	// The AC side notices too, and both start again.
	w.s.LowerDown(w.now, "")
	w.s.Events()
	w.evC, w.evS = nil, nil
	w.c.Open(w.now)
	w.s.Open(w.now)
	if !w.run(time.Minute, bothUp(w)) {
		t.Fatalf("not up again: %v / %v", kinds(w.evC), kinds(w.evS))
	}
	if w.c.Negotiated().LocalIPv4 != poolAddr {
		t.Errorf("params %+v", w.c.Negotiated())
	}
}
