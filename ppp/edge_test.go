package ppp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// failingReader is a broken random source.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestBrokenRandFails checks that randomness never silently degrades: a
// failing random source makes NewConn fail, and a source that fails later
// (here: when a CHAP server needs its challenge) ends the link without
// sending what the missing bytes were meant for.
func TestBrokenRandFails(t *testing.T) {
	cc := clientConfig()
	cc.Rand = failingReader{}
	if _, err := NewConn(cc); err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Fatalf("NewConn with a failing Rand: %v, want the error", err)
	}

	// 4 identifier bytes in NewConn, 4 for the magic number, 1 for the
	// auth identifier, then nothing for the 16-byte challenge.
	sc := serverConfig(AuthCHAP)
	sc.Rand = io.MultiReader(io.LimitReader(seeded(7), 9), failingReader{})
	w := newWire(t, clientConfig(), sc)
	w.s.Open(w.now)
	w.c.Open(w.now)
	serverDown := func() bool { _, down := findEvent(w.evS, EventDown); return down }
	if !w.run(time.Minute, serverDown) {
		t.Fatalf("server not down: %v", kinds(w.evS))
	}
	if _, lcpUp := findEvent(w.evS, EventLCPUp); !lcpUp {
		t.Errorf("LCP did not open (the challenge was not reached): %v", kinds(w.evS))
	}
	e, _ := findEvent(w.evS, EventDown)
	if !strings.Contains(e.Reason, "no random numbers") || !strings.Contains(e.Reason, "no entropy") {
		t.Errorf("down reason %q, want the random source named", e.Reason)
	}
	if _, up := findEvent(w.evS, EventAuthOK); up {
		t.Error("authentication succeeded without a challenge from crypto/rand")
	}
	for _, f := range w.fromS {
		if proto, info, err := ParseFrame(f); err == nil && proto == ProtoCHAP && len(info) > 0 && info[0] == 1 {
			t.Errorf("a CHAP Challenge was sent: %x", info)
		}
	}
}

// TestPeerRejectsOptions checks Configure-Reject handling (RFC 1661 section
// 5.4): rejected options are no longer sent; a Reject naming options we
// did not send is discarded; a server whose Authentication-Protocol is
// rejected ends the link.
func TestPeerRejectsOptions(t *testing.T) {
	c, _ := NewConn(clientConfig())
	c.Open(t0)
	req := controlPackets(c.Output(), ProtoLCP)[0]
	// A Reject of an option we did not send: discarded, no new request.
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureReject, ID: req.ID, Data: []byte{lcpACFC, 2}}))
	if out := c.Output(); len(out) != 0 {
		t.Fatalf("bogus Reject answered: %x", out)
	}
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureReject, ID: req.ID, Data: []byte{1, 4, 5, 0xae}}))
	next := controlPackets(c.Output(), ProtoLCP)
	if len(next) != 1 || lcpOption(t, next[0].Data, lcpMRU) != nil || lcpOption(t, next[0].Data, lcpMagic) == nil {
		t.Fatalf("after MRU Reject: %+v", next)
	}
	c.Input(t0, lcpFrame(Packet{Code: CodeConfigureReject, ID: next[0].ID, Data: next[0].Data}))
	next = controlPackets(c.Output(), ProtoLCP)
	if len(next) != 1 || len(next[0].Data) != 0 {
		t.Fatalf("after Magic Reject: %+v", next)
	}

	s, _ := NewConn(serverConfig(AuthCHAP))
	s.Open(t0)
	req = controlPackets(s.Output(), ProtoLCP)[0]
	s.Input(t0, lcpFrame(Packet{Code: CodeConfigureReject, ID: req.ID, Data: []byte{3, 5, 0xc2, 0x23, 5}}))
	out := controlPackets(s.Output(), ProtoLCP)
	if len(out) == 0 || out[len(out)-1].Code != CodeTerminateRequest || !strings.Contains(string(out[len(out)-1].Data), "refused to authenticate") {
		t.Fatalf("server after auth Reject sent %+v", out)
	}
}

// TestServerAuthNak checks the server side of Authentication-Protocol
// negotiation: AuthAuto follows a Nak to PAP; a fixed method does not and
// ends the link with a reason.
func TestServerAuthNak(t *testing.T) {
	for _, tt := range []struct {
		auth    AuthMethod
		nak     []byte
		wantPAP bool
	}{
		{AuthAuto, []byte{3, 4, 0xc0, 0x23}, true},
		{AuthCHAP, []byte{3, 4, 0xc0, 0x23}, false},
		{AuthAuto, []byte{3, 5, 0xc2, 0x23, 0x81}, false},
	} {
		s, _ := NewConn(serverConfig(tt.auth))
		s.Open(t0)
		req := controlPackets(s.Output(), ProtoLCP)[0]
		s.Input(t0, lcpFrame(Packet{Code: CodeConfigureNak, ID: req.ID, Data: tt.nak}))
		out := controlPackets(s.Output(), ProtoLCP)
		last := out[len(out)-1]
		if tt.wantPAP {
			if last.Code != CodeConfigureRequest || !bytes.Equal(lcpOption(t, last.Data, lcpAuth), []byte{0xc0, 0x23}) {
				t.Errorf("%v: %+v", tt.auth, last)
			}
			continue
		}
		if last.Code != CodeTerminateRequest || !strings.Contains(string(last.Data), "will not authenticate") {
			t.Errorf("%v nak %x: %+v", tt.auth, tt.nak, out)
		}
	}
}

// TestPeerRejectsIPCP checks that a Protocol-Reject of IPCP ends the link
// (nothing left to carry), while echo being Code-Rejected only stops
// echo requests.
func TestPeerRejectsIPCP(t *testing.T) {
	w := upWire(t, clientConfig(), serverConfig(AuthPAP))
	w.c.Input(w.now, lcpFrame(Packet{Code: CodeCodeReject, ID: 9, Data: Packet{Code: CodeEchoRequest, ID: 1, Data: []byte{0, 0, 0, 0}}.Append(nil)}))
	if !w.c.ka.off || !w.c.Up() {
		t.Fatalf("echo off %v, up %v", w.c.ka.off, w.c.Up())
	}
	w.now = w.now.Add(time.Minute)
	w.c.Tick(w.now)
	for _, p := range controlPackets(w.c.Output(), ProtoLCP) {
		if p.Code == CodeEchoRequest {
			t.Fatal("echo sent after the peer rejected it")
		}
	}
	w.c.Input(w.now, lcpFrame(Packet{Code: CodeProtocolReject, ID: 10, Data: []byte{0x80, 0x21, 1, 1, 0, 4}}))
	// RFC 1661 section 4.1, Opened+RXJ-: tld, irc, str; IPCP finishes
	// after the Terminate exchange and then the link is closed.
	if w.c.Up() || w.c.IPCPState() != StateStopping {
		t.Fatalf("after IPCP Protocol-Reject: up %v, IPCP %v", w.c.Up(), w.c.IPCPState())
	}
	w.run(time.Minute, func() bool { _, ok := findEvent(w.evC, EventDown); return ok })
	if e, ok := findEvent(w.evC, EventDown); !ok || !strings.Contains(e.Reason, "rejected IPCP") {
		t.Errorf("down event %+v", e)
	}
}

// TestIPv6CPNakReject covers RFC 5072 section 4.1 from the requesting side:
// a Nak'd identifier is adopted (unless it is the peer's or zero), a
// Reject stops sending it.
func TestIPv6CPNakReject(t *testing.T) {
	cfg := clientConfig()
	cfg.IPv6CP = true
	c, _ := networkPhase(t, cfg)
	c.Tick(c.NextDeadline()) // the first request was drained: get the retransmission
	req := controlPackets(c.Output(), ProtoIPv6CP)[0]
	sugg := []byte{2, 0, 0, 0, 0, 0, 0, 9}
	c.Input(t0, AppendFrame(nil, ProtoIPv6CP, Packet{Code: CodeConfigureNak, ID: req.ID, Data: opts(Option{Type: ipv6cpIID, Data: sugg})}))
	next := controlPackets(c.Output(), ProtoIPv6CP)
	if len(next) != 1 || !bytes.Equal(next[0].Data, opts(Option{Type: ipv6cpIID, Data: sugg})) {
		t.Fatalf("after Nak: %+v", next)
	}
	c.Input(t0, AppendFrame(nil, ProtoIPv6CP, Packet{Code: CodeConfigureNak, ID: next[0].ID, Data: opts(Option{Type: ipv6cpIID, Data: make([]byte, 8)})}))
	next = controlPackets(c.Output(), ProtoIPv6CP)
	if len(next) != 1 || bytes.Equal(lcpOption(t, next[0].Data, ipv6cpIID), make([]byte, 8)) {
		t.Fatalf("zero suggestion adopted: %+v", next)
	}
	c.Input(t0, AppendFrame(nil, ProtoIPv6CP, Packet{Code: CodeConfigureReject, ID: next[0].ID, Data: next[0].Data}))
	next = controlPackets(c.Output(), ProtoIPv6CP)
	if len(next) != 1 || len(next[0].Data) != 0 {
		t.Fatalf("after Reject: %+v", next)
	}
}

func TestStrings(t *testing.T) {
	for _, tt := range []struct {
		v    fmt.Stringer
		want string
	}{
		{RoleClient, "client"}, {RoleServer, "server"}, {Role(5), "Role(5)"},
		{AuthAuto, "auto"}, {AuthNone, "none"}, {AuthMethod(9), "AuthMethod(9)"},
		{StateReqSent, "Req-Sent"}, {State(12), "State(12)"},
		{EventIPCPUp, "ipcp-up"}, {EventKind(99), "EventKind(99)"},
		{Event{Kind: EventDown, Reason: "x"}, "down: x"}, {Event{Kind: EventLCPUp}, "lcp-up"},
	} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
	for _, tt := range []struct {
		d    []byte
		want string
	}{
		{[]byte{0xc0, 0x23}, "PAP"}, {[]byte{0xc2, 0x23, 5}, "CHAP-MD5"}, {[]byte{0xc2, 0x23, 0x80}, "MS-CHAP"},
		{[]byte{0xc2, 0x23, 0x81}, "MS-CHAPv2"}, {[]byte{0xc2, 0x23, 7}, "CHAP algorithm 7"}, {[]byte{0xc2, 0x27}, "EAP"},
		{[]byte{0x12, 0x34}, "protocol 0x1234"}, {nil, "nothing"},
	} {
		if got := authOptName(tt.d); got != tt.want {
			t.Errorf("authOptName(%x) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
