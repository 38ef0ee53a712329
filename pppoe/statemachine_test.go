package pppoe

import (
	"bytes"
	"testing"
	"time"
)

var (
	hostMAC = MAC{0x02, 0, 0, 0, 0, 0x10}
	acMAC   = MAC{0x02, 0, 0, 0, 0, 0xac}
	ac2MAC  = MAC{0x02, 0, 0, 0, 0, 0xad}
	t0      = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
)

func mustParse(t *testing.T, b []byte) *Packet {
	t.Helper()
	p, err := ParseDiscovery(b)
	if err != nil {
		t.Fatalf("our own output does not parse: %v", err)
	}
	return p
}

func onlyFrame(t *testing.T, out []Frame) (MAC, *Packet) {
	t.Helper()
	if len(out) != 1 {
		t.Fatalf("want 1 frame, got %d", len(out))
	}
	return out[0].Dst, mustParse(t, out[0].Payload)
}

func pado(hu []byte, acName string, services ...string) *Packet {
	p := &Packet{Code: CodePADO}
	p.Add(TagACName, []byte(acName))
	for _, s := range services {
		p.Add(TagServiceName, []byte(s))
	}
	if hu != nil {
		p.Add(TagHostUniq, hu)
	}
	return p
}

func enc(p *Packet) []byte {
	b, err := p.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

func TestClientPADIAndBackoff(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC, ServiceName: "svc", Timeout: time.Second, MaxTimeout: 4 * time.Second, PADIAttempts: 4})
	c.Start(t0)
	dst, p := onlyFrame(t, c.Output())
	if dst != Broadcast || p.Code != CodePADI || p.Count(TagServiceName) != 1 {
		t.Fatalf("first frame %v to %v", p, dst)
	}
	if hu, _ := p.Tag(TagHostUniq); len(hu) != 8 || !bytes.Equal(hu, c.HostUniq()) {
		t.Fatalf("Host-Uniq % x", hu)
	}
	if _, ok := p.Tag(TagPPPMaxPayload); ok {
		t.Fatal("PPP-Max-Payload sent without asking for RFC 4638")
	}
	// Retries at +1 s, +2 s, +4 s (doubling, capped at 4 s), then failure.
	now := t0
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if got := c.NextDeadline().Sub(now); got != wait {
			t.Fatalf("retry %d after %v, want %v", i, got, wait)
		}
		c.Tick(now.Add(wait - time.Millisecond))
		if len(c.Output()) != 0 {
			t.Fatal("retransmitted before the deadline")
		}
		now = now.Add(wait)
		c.Tick(now)
		if _, p := onlyFrame(t, c.Output()); p.Code != CodePADI {
			t.Fatalf("retry %v", p)
		}
	}
	if got := c.NextDeadline().Sub(now); got != 4*time.Second {
		t.Fatalf("cap: %v", got)
	}
	c.Tick(c.NextDeadline())
	ev := c.Events()
	if len(ev) != 1 || ev[0].Kind != EventFailed || ev[0].Reason != FailNoOffer || c.State() != ClientFailed {
		t.Fatalf("events %+v state %v", ev, c.State())
	}
	if len(c.Output()) != 0 || !c.NextDeadline().IsZero() {
		t.Fatal("failed client still sends or wants a timer")
	}
}

// dial runs a client to the PADR and returns the PADR.
func dialToPADR(t *testing.T, c *Client, from MAC, o *Packet) *Packet {
	t.Helper()
	c.Input(t0, from, enc(o))
	dst, p := onlyFrame(t, c.Output())
	if dst != from || p.Code != CodePADR {
		t.Fatalf("after PADO: %v to %v", p, dst)
	}
	return p
}

func TestClientDropsForeignHostUniqAndSelectsAC(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC, ACName: "wanted", ServiceName: "svc"})
	c.Start(t0)
	c.Output()
	hu := c.HostUniq()
	c.Input(t0, acMAC, enc(pado([]byte("other"), "wanted", "svc")))
	c.Input(t0, acMAC, enc(pado(nil, "wanted", "svc")))
	if len(c.Output()) != 0 || len(c.Events()) != 0 {
		t.Fatal("reacted to a PADO without our Host-Uniq")
	}
	c.Input(t0, ac2MAC, enc(pado(hu, "someone-else", "svc")))
	c.Input(t0, acMAC, enc(pado(hu, "wanted", "not-svc")))
	if len(c.Output()) != 0 || c.State() != ClientDiscover {
		t.Fatal("accepted a PADO with the wrong AC-Name or Service-Name")
	}
	ev := c.Events()
	if len(ev) != 2 || ev[0].Accepted || ev[1].Accepted || ev[0].ACName != "someone-else" {
		t.Fatalf("offer events %+v", ev)
	}
	o := pado(hu, "wanted", "svc").Add(TagACCookie, []byte{9, 9}).Add(TagRelaySessionID, []byte{7, 7, 7})
	r := dialToPADR(t, c, acMAC, o)
	if v, _ := r.Tag(TagACCookie); !bytes.Equal(v, []byte{9, 9}) {
		t.Errorf("AC-Cookie not echoed: %v", r)
	}
	if v, _ := r.Tag(TagRelaySessionID); !bytes.Equal(v, []byte{7, 7, 7}) {
		t.Errorf("Relay-Session-Id not echoed: %v", r)
	}
	if s, _ := r.ServiceName(); s != "svc" || r.Count(TagServiceName) != 1 {
		t.Errorf("PADR service: %v", r)
	}
	// A second offer while requesting is ignored.
	c.Input(t0, ac2MAC, enc(pado(hu, "wanted", "svc")))
	if len(c.Output()) != 0 {
		t.Fatal("answered a second PADO")
	}
}

func TestClientToleratesPADOWithoutServiceName(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC, ServiceName: "svc"})
	c.Start(t0)
	c.Output()
	dialToPADR(t, c, acMAC, pado(c.HostUniq(), "ac"))
}

func TestClientSessionAndPADT(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC})
	c.Start(t0)
	c.Output()
	hu := c.HostUniq()
	dialToPADR(t, c, acMAC, pado(hu, "ac", ""))
	// PADS from another MAC or without our Host-Uniq: ignored.
	pads := &Packet{Code: CodePADS, SessionID: 0x42}
	pads.Add(TagServiceName, nil).Add(TagHostUniq, hu)
	c.Input(t0, ac2MAC, enc(pads))
	if c.State() != ClientRequest {
		t.Fatal("PADS from a different AC accepted")
	}
	c.Input(t0, acMAC, enc(pads))
	ev := c.Events()
	last := ev[len(ev)-1]
	if c.State() != ClientSession || last.Kind != EventSession || last.SessionID != 0x42 || last.Peer != acMAC || last.MaxPayload != 1492 {
		t.Fatalf("state %v event %+v", c.State(), last)
	}
	if s := c.Stale("eth0"); s.ACMAC != acMAC || s.SessionID != 0x42 || s.LocalMAC != hostMAC || s.Interface != "eth0" {
		t.Fatalf("stale %+v", s)
	}
	// PADT for another session, or from another MAC: ignored.
	c.Input(t0, acMAC, NewPADT(0x43, ""))
	c.Input(t0, ac2MAC, NewPADT(0x42, ""))
	if c.State() != ClientSession || len(c.Events()) != 0 {
		t.Fatal("accepted a PADT not for the live session")
	}
	c.Input(t0, acMAC, NewPADT(0x42, "admin reset"))
	ev = c.Events()
	if c.State() != ClientTerminated || len(ev) != 1 || ev[0].Kind != EventTerminated || ev[0].Err == nil || ev[0].Err.Text != "admin reset" {
		t.Fatalf("state %v events %+v", c.State(), ev)
	}
}

func TestClientCloseSendsPADT(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC})
	c.Start(t0)
	c.Output()
	dialToPADR(t, c, acMAC, pado(c.HostUniq(), "ac", ""))
	c.Input(t0, acMAC, enc((&Packet{Code: CodePADS, SessionID: 9}).Add(TagHostUniq, c.HostUniq())))
	c.Close(t0, "user")
	dst, p := onlyFrame(t, c.Output())
	if dst != acMAC || p.Code != CodePADT || p.SessionID != 9 {
		t.Fatalf("close sent %v to %v", p, dst)
	}
	// Closing a client that never got a session sends nothing.
	d := NewClient(ClientConfig{LocalMAC: hostMAC})
	d.Start(t0)
	d.Output()
	d.Close(t0, "")
	if len(d.Output()) != 0 {
		t.Fatal("PADT without a session")
	}
}

func TestClientRefusingPADSAndErrorPADO(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC})
	c.Start(t0)
	c.Output()
	hu := c.HostUniq()
	c.Input(t0, ac2MAC, enc(pado(hu, "broken", "").Add(TagACSystemError, []byte("out of memory"))))
	if c.State() != ClientDiscover || len(c.Output()) != 0 {
		t.Fatal("chose a PADO carrying an error tag")
	}
	ev := c.Events()
	if len(ev) != 2 || ev[0].Kind != EventTagError || ev[0].Err.Text != "out of memory" {
		t.Fatalf("events %+v", ev)
	}
	dialToPADR(t, c, acMAC, pado(hu, "ac", ""))
	c.Events()
	c.Input(t0, acMAC, enc((&Packet{Code: CodePADS}).Add(TagHostUniq, hu).Add(TagACSystemError, []byte("session limit reached"))))
	ev = c.Events()
	if c.State() != ClientFailed || len(ev) != 2 || ev[1].Kind != EventFailed || ev[1].Reason != FailRefused || ev[1].Err.Text != "session limit reached" {
		t.Fatalf("state %v events %+v", c.State(), ev)
	}
}

func TestClientPADRRetriesThenFails(t *testing.T) {
	c := NewClient(ClientConfig{LocalMAC: hostMAC, PADRAttempts: 2, Timeout: time.Second})
	c.Start(t0)
	c.Output()
	dialToPADR(t, c, acMAC, pado(c.HostUniq(), "ac", ""))
	c.Events()
	if c.NextDeadline() != t0.Add(time.Second) {
		t.Fatalf("PADR timer %v", c.NextDeadline())
	}
	c.Tick(t0.Add(time.Second))
	if dst, p := onlyFrame(t, c.Output()); dst != acMAC || p.Code != CodePADR {
		t.Fatalf("retry %v", p)
	}
	c.Tick(c.NextDeadline())
	ev := c.Events()
	if len(ev) != 1 || ev[0].Reason != FailNoPADS {
		t.Fatalf("events %+v", ev)
	}
}

// pump moves frames between a client and an AC until both are quiet.
func pump(t *testing.T, c *Client, a *AC, now time.Time) {
	t.Helper()
	for i := 0; i < 10; i++ {
		co, ao := c.Output(), a.Output()
		if len(co) == 0 && len(ao) == 0 {
			return
		}
		for _, f := range co {
			if f.Dst == acMAC || f.Dst == Broadcast {
				a.Input(now, hostMAC, f.Payload)
			}
		}
		for _, f := range ao {
			if f.Dst == hostMAC {
				c.Input(now, acMAC, f.Payload)
			}
		}
	}
	t.Fatal("frames kept flowing")
}

func TestClientAgainstAC(t *testing.T) {
	a := NewAC(ACConfig{MAC: acMAC, Name: "lab-ac", ServiceNames: []string{"lab"}, MaxPayload: 1500})
	c := NewClient(ClientConfig{LocalMAC: hostMAC, ServiceName: "lab", ACName: "lab-ac", MaxPayload: 1500})
	c.Start(t0)
	pump(t, c, a, t0)
	ac, id, ok := c.Session()
	if !ok || ac != acMAC || id == 0 || c.MaxPayload() != 1500 {
		t.Fatalf("session %v %v %v maxpayload %d", ac, id, ok, c.MaxPayload())
	}
	ev := a.Events()
	if len(ev) != 1 || ev[0].Kind != EventSession || ev[0].SessionID != id || ev[0].MaxPayload != 1500 {
		t.Fatalf("AC events %+v", ev)
	}
	s, ok := a.Session(id)
	if !ok || s.Peer != hostMAC || s.ServiceName != "lab" {
		t.Fatalf("AC session %+v", s)
	}
	c.Close(t0, "bye")
	pump(t, c, a, t0)
	if a.Sessions() != 0 {
		t.Fatal("AC kept the session after PADT")
	}
	if ev := a.Events(); len(ev) != 1 || ev[0].Kind != EventTerminated || ev[0].Err.Text != "bye" {
		t.Fatalf("AC events %+v", ev)
	}
}

func TestRFC4638OnlyWhenBothAsk(t *testing.T) {
	// AC without RFC 4638: the client must stay at 1492.
	a := NewAC(ACConfig{MAC: acMAC, Name: "ac"})
	c := NewClient(ClientConfig{LocalMAC: hostMAC, MaxPayload: 1500})
	c.Start(t0)
	pump(t, c, a, t0)
	if _, _, ok := c.Session(); !ok || c.MaxPayload() != 1492 {
		t.Fatalf("max payload %d", c.MaxPayload())
	}
	// AC allows 1500, client asks 1496: 1496.
	a = NewAC(ACConfig{MAC: acMAC, Name: "ac", MaxPayload: 1500})
	c = NewClient(ClientConfig{LocalMAC: hostMAC, MaxPayload: 1496})
	c.Start(t0)
	pump(t, c, a, t0)
	if c.MaxPayload() != 1496 {
		t.Fatalf("max payload %d", c.MaxPayload())
	}
}

func TestACSessionLimitAndRetransmittedPADR(t *testing.T) {
	a := NewAC(ACConfig{MAC: acMAC, Name: "ac", MaxSessions: 1})
	c := NewClient(ClientConfig{LocalMAC: hostMAC})
	c.Start(t0)
	c.Input(t0, acMAC, nil)
	a.Input(t0, hostMAC, c.Output()[0].Payload)
	c.Input(t0, acMAC, a.Output()[0].Payload)
	padr := c.Output()[0].Payload
	a.Input(t0, hostMAC, padr)
	a.Input(t0, hostMAC, padr) // our PADS "got lost"; the host retries
	out := a.Output()
	if len(out) != 2 || a.Sessions() != 1 {
		t.Fatalf("%d frames, %d sessions", len(out), a.Sessions())
	}
	p1, p2 := mustParse(t, out[0].Payload), mustParse(t, out[1].Payload)
	if p1.SessionID == 0 || p1.SessionID != p2.SessionID {
		t.Fatalf("retransmitted PADR got %v then %v", p1, p2)
	}
	// A second host exceeds the limit.
	d := NewClient(ClientConfig{LocalMAC: MAC{2, 0, 0, 0, 0, 0x11}})
	d.Start(t0)
	other := MAC{2, 0, 0, 0, 0, 0x11}
	a.Input(t0, other, d.Output()[0].Payload)
	d.Input(t0, acMAC, a.Output()[0].Payload)
	a.Input(t0, other, d.Output()[0].Payload)
	d.Input(t0, acMAC, a.Output()[0].Payload)
	ev := d.Events()
	last := ev[len(ev)-1]
	if last.Kind != EventFailed || last.Reason != FailRefused || last.Err.Type != TagACSystemError || last.Err.Text != "session limit reached" {
		t.Fatalf("events %+v", ev)
	}
}

func TestACChecksCookieAndService(t *testing.T) {
	a := NewAC(ACConfig{MAC: acMAC, Name: "ac", ServiceNames: []string{"a", "b"}})
	// PADI for an unknown service: no answer (section 5.2).
	a.Input(t0, hostMAC, enc((&Packet{Code: CodePADI}).Add(TagServiceName, []byte("zzz"))))
	if len(a.Output()) != 0 {
		t.Fatal("offered an unknown service")
	}
	// PADI for any service: PADO lists both.
	a.Input(t0, hostMAC, enc((&Packet{Code: CodePADI}).Add(TagServiceName, nil).Add(TagRelaySessionID, []byte{1})))
	_, o := onlyFrame(t, a.Output())
	if o.Count(TagServiceName) != 2 {
		t.Fatalf("PADO %v", o)
	}
	if v, _ := o.Tag(TagRelaySessionID); !bytes.Equal(v, []byte{1}) {
		t.Fatalf("Relay-Session-Id not echoed: %v", o)
	}
	// PADR with a cookie made for another MAC: refused with Generic-Error.
	cookie, _ := o.Tag(TagACCookie)
	a.Input(t0, ac2MAC, enc((&Packet{Code: CodePADR}).Add(TagServiceName, []byte("a")).Add(TagACCookie, cookie)))
	_, s := onlyFrame(t, a.Output())
	if s.Code != CodePADS || s.SessionID != 0 || len(s.Errors()) != 1 || s.Errors()[0].Type != TagGenericError {
		t.Fatalf("PADS %v", s)
	}
	// PADR for a service not offered: Service-Name-Error.
	a.Input(t0, hostMAC, enc((&Packet{Code: CodePADR}).Add(TagServiceName, []byte("c")).Add(TagACCookie, cookie)))
	_, s = onlyFrame(t, a.Output())
	if s.SessionID != 0 || s.Errors()[0].Type != TagServiceNameError {
		t.Fatalf("PADS %v", s)
	}
	if a.Sessions() != 0 {
		t.Fatal("session created for a refused PADR")
	}
}

func TestACTerminateAndStalePADT(t *testing.T) {
	a := NewAC(ACConfig{MAC: acMAC, Name: "ac"})
	c := NewClient(ClientConfig{LocalMAC: hostMAC})
	c.Start(t0)
	pump(t, c, a, t0)
	_, id, _ := c.Session()
	// A stale record from an earlier run: its PADT ends the session at the AC.
	st := c.Stale("eth0")
	f := st.PADT()
	if f.Dst != acMAC {
		t.Fatalf("stale PADT to %v", f.Dst)
	}
	a.Input(t0, hostMAC, f.Payload)
	if a.Sessions() != 0 {
		t.Fatal("stale PADT did not end the session")
	}
	// AC-initiated termination reaches the client.
	c2 := NewClient(ClientConfig{LocalMAC: hostMAC})
	c2.Start(t0)
	pump(t, c2, a, t0)
	_, id2, _ := c2.Session()
	a.Terminate(id2, "maintenance")
	pump(t, c2, a, t0)
	ev := c2.Events()
	if c2.State() != ClientTerminated || ev[len(ev)-1].Err.Text != "maintenance" || id == 0 {
		t.Fatalf("client %v %+v", c2.State(), ev)
	}
}

func FuzzClientInput(f *testing.F) {
	f.Add(padoRP, []byte{0x11, 0x65, 0, 1, 0, 0})
	f.Add(enc(pado([]byte{1, 2, 3, 4, 5, 6, 7, 8}, "ac", "")), NewPADT(1, ""))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		c := NewClient(ClientConfig{LocalMAC: hostMAC, HostUniq: []byte{1, 2, 3, 4, 5, 6, 7, 8}})
		c.Start(t0)
		for _, in := range [][]byte{a, b, a, b} {
			c.Input(t0, acMAC, in)
			for _, fr := range c.Output() {
				if _, err := ParseDiscovery(fr.Payload); err != nil {
					t.Fatalf("client sent an unparsable frame: %v", err)
				}
			}
		}
		c.Events()
	})
}

func FuzzACInput(f *testing.F) {
	f.Add(enc((&Packet{Code: CodePADI}).Add(TagServiceName, nil)), enc((&Packet{Code: CodePADR}).Add(TagServiceName, nil)))
	f.Add(NewPADT(1, ""), padoRP)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ac := NewAC(ACConfig{MAC: acMAC, Name: "ac", MaxPayload: 1500, CookieKey: []byte("k")})
		for _, in := range [][]byte{a, b, a} {
			ac.Input(t0, hostMAC, in)
			for _, fr := range ac.Output() {
				if _, err := ParseDiscovery(fr.Payload); err != nil {
					t.Fatalf("AC sent an unparsable frame: %v", err)
				}
			}
		}
		ac.Events()
	})
}
