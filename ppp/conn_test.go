package ppp

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testUser = "rlabuser"
	testPass = "rlabpass-S3cret"
)

var (
	acAddr   = netip.MustParseAddr("192.0.2.1")
	poolAddr = netip.MustParseAddr("192.0.2.100")
	dns1     = netip.MustParseAddr("192.0.2.53")
	dns2     = netip.MustParseAddr("192.0.2.54")
	t0       = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func seeded(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

func clientConfig() Config {
	return Config{
		Role:         RoleClient,
		MRU:          1454,
		Username:     testUser,
		Password:     []byte(testPass),
		EchoInterval: 10 * time.Second,
		EchoFailures: 3,
		Rand:         seeded(1),
	}
}

func serverConfig(auth AuthMethod) Config {
	return Config{
		Role: RoleServer,
		Auth: auth,
		Secrets: func(u string) ([]byte, bool) {
			if u == testUser {
				return []byte(testPass), true
			}
			return nil, false
		},
		LocalIPv4:    acAddr,
		AssignIPv4:   func() (netip.Addr, bool) { return poolAddr, true },
		DNS:          []netip.Addr{dns1, dns2},
		EchoInterval: 10 * time.Second,
		EchoFailures: 3,
		Rand:         seeded(2),
		Name:         "rlab-ac",
	}
}

// wire connects a client and a server Conn back to back with a fake clock.
type wire struct {
	t        *testing.T
	now      time.Time
	c, s     *Conn
	evC, evS []Event
	// drop, when set, decides whether a frame from -> to is lost.
	drop func(fromClient bool, frame []byte) bool
	// sent records every frame delivered or dropped, by direction.
	fromC, fromS [][]byte
}

func newWire(t *testing.T, cc, sc Config) *wire {
	t.Helper()
	c, err := NewConn(cc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewConn(sc)
	if err != nil {
		t.Fatal(err)
	}
	return &wire{t: t, now: t0, c: c, s: s}
}

// step moves frames once in each direction; it reports whether any moved.
func (w *wire) step() bool {
	w.evC = append(w.evC, w.c.Events()...)
	w.evS = append(w.evS, w.s.Events()...)
	moved := false
	for _, f := range w.c.Output() {
		checkFrame(w.t, f)
		moved = true
		w.fromC = append(w.fromC, f)
		if w.drop == nil || !w.drop(true, f) {
			w.s.Input(w.now, f)
		}
	}
	for _, f := range w.s.Output() {
		checkFrame(w.t, f)
		moved = true
		w.fromS = append(w.fromS, f)
		if w.drop == nil || !w.drop(false, f) {
			w.c.Input(w.now, f)
		}
	}
	w.evC = append(w.evC, w.c.Events()...)
	w.evS = append(w.evS, w.s.Events()...)
	return moved
}

// run exchanges frames and advances the clock to the next deadline until
// done returns true or the clock passes limit. It reports done().
func (w *wire) run(limit time.Duration, done func() bool) bool {
	end := w.now.Add(limit)
	for i := 0; i < 20000; i++ {
		w.evC = append(w.evC, w.c.Events()...)
		w.evS = append(w.evS, w.s.Events()...)
		if done() {
			return true
		}
		if w.step() {
			continue
		}
		next := earliest(w.c.NextDeadline(), w.s.NextDeadline())
		if next.IsZero() || next.After(end) {
			return done()
		}
		if next.After(w.now) {
			w.now = next
		}
		w.c.Tick(w.now)
		w.s.Tick(w.now)
	}
	w.t.Fatal("no progress after 20000 steps")
	return false
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

func bothUp(w *wire) func() bool {
	return func() bool { return w.c.Up() && w.s.Up() }
}

func kinds(evs []Event) []EventKind {
	var k []EventKind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

func findEvent(evs []Event, k EventKind) (Event, bool) {
	for _, e := range evs {
		if e.Kind == k {
			return e, true
		}
	}
	return Event{}, false
}

// checkFrame asserts that an output frame is well formed: a valid protocol
// field, a control packet whose Length covers exactly the frame, and
// parseable options in Configure packets.
func checkFrame(t testing.TB, f []byte) {
	t.Helper()
	proto, info, err := ParseFrame(f)
	if err != nil || len(f) < 2 || f[0]&1 != 0 {
		t.Fatalf("bad output frame %x: %v", f, err)
	}
	p, err := ParsePacket(info)
	if err != nil || p.Len() != len(info) {
		t.Fatalf("bad output packet %x: %v", f, err)
	}
	switch proto {
	case ProtoLCP, ProtoIPCP, ProtoIPv6CP:
		if p.Code >= CodeConfigureRequest && p.Code <= CodeConfigureReject {
			if _, err := ParseOptions(p.Data); err != nil {
				t.Fatalf("bad options in %x: %v", f, err)
			}
		}
		if proto != ProtoLCP && p.Code > CodeCodeReject {
			t.Fatalf("NCP sent LCP-only code %d", p.Code)
		}
	case ProtoPAP, ProtoCHAP:
	default:
		t.Fatalf("output frame of protocol 0x%04x", proto)
	}
}

// controlPackets returns the packets of proto among frames.
func controlPackets(frames [][]byte, proto uint16) []Packet {
	var ps []Packet
	for _, f := range frames {
		pr, info, err := ParseFrame(f)
		if err != nil || pr != proto {
			continue
		}
		if p, err := ParsePacket(info); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

func TestBackToBack(t *testing.T) {
	tests := []struct {
		name       string
		clientAuth AuthMethod
		serverAuth AuthMethod
		ipv6       bool
		want       AuthMethod
	}{
		{"pap", AuthAuto, AuthPAP, false, AuthPAP},
		{"chap", AuthAuto, AuthCHAP, false, AuthCHAP},
		{"chap+ipv6cp", AuthAuto, AuthCHAP, true, AuthCHAP},
		{"pap+ipv6cp", AuthPAP, AuthPAP, true, AuthPAP},
		{"client pap only, server auto falls back to pap", AuthPAP, AuthAuto, false, AuthPAP},
		{"client chap only, server auto", AuthCHAP, AuthAuto, false, AuthCHAP},
		{"no authentication", AuthAuto, AuthNone, false, AuthNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, sc := clientConfig(), serverConfig(tt.serverAuth)
			cc.Auth = tt.clientAuth
			cc.IPv6CP, sc.IPv6CP = tt.ipv6, tt.ipv6
			w := newWire(t, cc, sc)
			w.s.Open(w.now)
			w.c.Open(w.now)
			done := bothUp(w)
			if tt.ipv6 {
				done = func() bool { return bothUp(w)() && w.c.Negotiated().IPv6Up && w.s.Negotiated().IPv6Up }
			}
			if !w.run(time.Minute, done) {
				t.Fatalf("not up: client %v %v, server %v %v", w.c.LCPState(), kinds(w.evC), w.s.LCPState(), kinds(w.evS))
			}
			w.run(time.Second, func() bool { return false }) // let it settle
			cp, sp := w.c.Negotiated(), w.s.Negotiated()
			if cp.LocalIPv4 != poolAddr || cp.PeerIPv4 != acAddr {
				t.Errorf("client addresses %v peer %v", cp.LocalIPv4, cp.PeerIPv4)
			}
			if sp.LocalIPv4 != acAddr || sp.PeerIPv4 != poolAddr {
				t.Errorf("server addresses %v peer %v", sp.LocalIPv4, sp.PeerIPv4)
			}
			if !slices.Equal(cp.DNS, []netip.Addr{dns1, dns2}) || !slices.Equal(sp.DNS, []netip.Addr{dns1, dns2}) {
				t.Errorf("DNS client %v server %v", cp.DNS, sp.DNS)
			}
			if cp.MTU != 1492 || sp.MTU != 1454 {
				t.Errorf("MTU client %d (want server's MRU 1492), server %d (want 1454)", cp.MTU, sp.MTU)
			}
			if cp.AuthMethod != tt.want || sp.AuthMethod != tt.want {
				t.Errorf("auth client %v server %v, want %v", cp.AuthMethod, sp.AuthMethod, tt.want)
			}
			if tt.want != AuthNone && sp.Username != testUser {
				t.Errorf("server username %q", sp.Username)
			}
			wantKinds := []EventKind{EventLCPUp, EventAuthOK, EventIPCPUp}
			if tt.want == AuthNone {
				wantKinds = []EventKind{EventLCPUp, EventIPCPUp}
			}
			for _, evs := range [][]Event{w.evC, w.evS} {
				var got []EventKind
				for _, k := range kinds(evs) {
					if k != EventIPv6CPUp {
						got = append(got, k)
					}
				}
				if !slices.Equal(got, wantKinds) {
					t.Errorf("events %v, want %v", kinds(evs), wantKinds)
				}
			}
			if e, _ := findEvent(w.evC, EventIPCPUp); e.Params.LocalIPv4 != poolAddr {
				t.Errorf("EventIPCPUp params %+v", e.Params)
			}
			if tt.ipv6 {
				if cp.LocalIID != sp.PeerIID || sp.LocalIID != cp.PeerIID || cp.LocalIID == sp.LocalIID || cp.LocalIID == ([8]byte{}) || sp.LocalIID == ([8]byte{}) {
					t.Errorf("IIDs client %x/%x server %x/%x", cp.LocalIID, cp.PeerIID, sp.LocalIID, sp.PeerIID)
				}
			} else if cp.IPv6Up || sp.IPv6Up {
				t.Error("IPv6CP up although disabled")
			}
			// No protocol was rejected on a clean link.
			for _, p := range append(controlPackets(w.fromC, ProtoLCP), controlPackets(w.fromS, ProtoLCP)...) {
				if p.Code == CodeProtocolReject || p.Code == CodeCodeReject {
					t.Errorf("unexpected reject %+v", p)
				}
			}
		})
	}
}

// TestFirstConfigureRequestLost models pppd starting only after PADS: the
// client's first LCP Configure-Request reaches a peer that is not running
// yet and is lost; the restart timer resends it (RFC 1661 section 4.6).
func TestFirstConfigureRequestLost(t *testing.T) {
	w := newWire(t, clientConfig(), serverConfig(AuthPAP))
	w.c.Open(w.now)
	w.step() // the request reaches a server in the Initial state: dropped
	if len(w.fromC) != 1 || len(w.s.Output()) != 0 {
		t.Fatalf("first exchange: %d frames from client", len(w.fromC))
	}
	w.now = w.now.Add(time.Second)
	w.s.Open(w.now)
	if !w.run(time.Minute, bothUp(w)) {
		t.Fatalf("not up: %v / %v", kinds(w.evC), kinds(w.evS))
	}
	var reqs []Packet
	for _, p := range controlPackets(w.fromC, ProtoLCP) {
		if p.Code == CodeConfigureRequest {
			reqs = append(reqs, p)
		}
	}
	if len(reqs) < 2 || reqs[1].ID != reqs[0].ID || !bytes.Equal(reqs[0].Data, reqs[1].Data) {
		t.Fatalf("want the first Configure-Request retransmitted unchanged, got %+v", reqs)
	}
	if w.now.Sub(t0) < DefaultRestartTimer {
		t.Errorf("up after %v, before the restart timer could fire", w.now.Sub(t0))
	}
}

// TestWrongPassword checks that both ends report EventAuthFailed naming the
// method, that the link then goes down, and that the password appears in no
// event, reason or error string.
func TestWrongPassword(t *testing.T) {
	for _, auth := range []AuthMethod{AuthPAP, AuthCHAP} {
		t.Run(auth.String(), func(t *testing.T) {
			cc := clientConfig()
			wrong := "wrong-Pa55word"
			cc.Password = []byte(wrong)
			w := newWire(t, cc, serverConfig(auth))
			w.s.Open(w.now)
			w.c.Open(w.now)
			downBoth := func() bool {
				_, a := findEvent(w.evC, EventDown)
				_, b := findEvent(w.evS, EventDown)
				return a && b
			}
			if !w.run(time.Minute, downBoth) {
				t.Fatalf("not down: %v / %v", kinds(w.evC), kinds(w.evS))
			}
			for side, evs := range map[string][]Event{"client": w.evC, "server": w.evS} {
				e, ok := findEvent(evs, EventAuthFailed)
				if !ok {
					t.Fatalf("%s: no EventAuthFailed in %v", side, kinds(evs))
				}
				if !strings.Contains(e.Reason, methodName(auth)) || !strings.Contains(e.Reason, "check user name and password") || !strings.Contains(e.Reason, testUser) {
					t.Errorf("%s reason %q", side, e.Reason)
				}
				if e.Method != auth {
					t.Errorf("%s: failure event's method %v, want %v", side, e.Method, auth)
				}
				if _, up := findEvent(evs, EventIPCPUp); up {
					t.Errorf("%s: IPCP came up", side)
				}
			}
			if w.c.Up() || w.s.Up() {
				t.Error("Up after auth failure")
			}
			var all []string
			for _, e := range append(w.evC, w.evS...) {
				all = append(all, e.String(), e.Reason, fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e.Params))
			}
			all = append(all, fmt.Sprintf("%+v", w.c.Negotiated()), fmt.Sprintf("%+v", w.s.Negotiated()))
			for _, s := range all {
				if strings.Contains(s, wrong) || strings.Contains(s, testPass) {
					t.Fatalf("password leaked into %q", s)
				}
			}
		})
	}
}

func TestConfigErrorsNamePasswordNever(t *testing.T) {
	bad := []Config{
		{Role: RoleClient, Password: []byte(testPass)},
		{Role: RoleServer, Password: []byte(testPass)},
		{Role: RoleServer, LocalIPv4: acAddr, Password: []byte(testPass)},
		{Role: RoleServer, LocalIPv4: acAddr, AssignIPv4: func() (netip.Addr, bool) { return poolAddr, true }},
		{Role: Role(7), Username: "u"},
		{Role: RoleClient, Username: "u", Auth: AuthMethod(9)},
	}
	for i, cfg := range bad {
		_, err := NewConn(cfg)
		if err == nil {
			t.Errorf("%d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), testPass) {
			t.Errorf("%d: password in %q", i, err)
		}
	}
	if _, err := ParseAuthMethod("mschap"); err == nil || !strings.Contains(err.Error(), "auto, pap or chap") {
		t.Errorf("ParseAuthMethod error %v", err)
	}
	for s, want := range map[string]AuthMethod{"auto": AuthAuto, "PAP": AuthPAP, "chap": AuthCHAP, "none": AuthNone} {
		if got, err := ParseAuthMethod(s); err != nil || got != want {
			t.Errorf("ParseAuthMethod(%q) = %v, %v", s, got, err)
		}
	}
}
