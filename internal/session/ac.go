package session

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// ACConfig configures an access concentrator: the ISP side that the lab and
// the interop tests dial (RFC 4638 and IPv6CP, which pppd's server side
// lacks).
type ACConfig struct {
	// Interface is the link the clients are on.
	Interface string
	// TUN names the device that carries all sessions' packets (default
	// "dp-ac0"); Local is its address and each session's peer address.
	TUN   string
	Local netip.Addr
	// Pool hands out one address per session (Local is skipped).
	Pool netip.Prefix
	// DNS is offered to clients (RFC 1877).
	DNS []netip.Addr
	// Name is the AC-Name; ServiceNames the services offered (empty: any).
	Name         string
	ServiceNames []string
	// MaxSessions limits sessions (0: 64); beyond it PADS carries
	// AC-System-Error.
	MaxSessions int
	// MaxPayload enables RFC 4638 up to this PPP payload (0: off, 1492).
	MaxPayload uint16
	// Auth is the method required (ppp.AuthAuto: CHAP-MD5, PAP if the
	// client Naks; ppp.AuthNone: none); Secrets maps users to passwords.
	Auth    ppp.AuthMethod
	Secrets map[string][]byte
	// IPv6CP negotiates IPv6CP with clients that want it.
	IPv6CP bool
	// EchoInterval / EchoFailures: LCP keepalive towards clients (0: off).
	EchoInterval time.Duration
	EchoFailures int
	// StateDir keeps the journal of host changes (required).
	StateDir string
	// Namespace, when set, runs everything in that named network namespace.
	Namespace string
	// OnEvent receives session events (Kind session/auth/up/down; Address
	// is the client's).
	OnEvent func(Event)
}

type acSession struct {
	id   uint16
	peer pppoe.MAC
	conn *ppp.Conn
	addr netip.Addr
	up   bool
	rx   *rxMark // set by the data plane's receive loop for every frame
	// openAt is when LCP starts if the client has not spoken by then;
	// opened once it has started (see lcpOpenDelay).
	openAt time.Time
	opened bool
}

// lcpOpenDelay is how long the AC holds back its first LCP
// Configure-Request after PADS, unless the client speaks first. A client
// installs the session only once it has read PADS; a Configure-Request that
// overtakes that is dropped, and LCP cannot open until the restart timer
// sends it again (RFC 1661 section 4.6: 3 s), which would make every
// redial 3 s slower. Clients normally send their own Configure-Request at
// once, which opens our side immediately; the delay only serves passive
// clients that wait for the AC (RFC 1661 section 4.1 leaves the order
// open).
const lcpOpenDelay = 150 * time.Millisecond

// startLCP opens LCP on the session once: on the client's first frame or
// at openAt.
func (s *acSession) startLCP(now time.Time) {
	if s.opened {
		return
	}
	s.opened = true
	s.conn.Open(now)
}

// tick runs the session's timers at now: the delayed LCP start, then PPP's.
func (s *acSession) tick(now time.Time) {
	if !s.opened && !now.Before(s.openAt) {
		s.startLCP(now)
	}
	s.conn.Tick(now)
}

// deadline is when the control loop must next call tick (zero: never).
func (s *acSession) deadline() time.Time {
	if !s.opened {
		return s.openAt
	}
	return s.conn.NextDeadline()
}

// rxMark records that a session frame arrived since the control loop last
// looked. The receive loop only reads the flag and sets it when clear (no
// lock, no clock, no write to a shared cache line per packet); the control
// loop swaps it back at each timer tick and tells ppp.Conn.NoteReceived.
type rxMark struct {
	peer pppoe.MAC
	seen atomic.Bool
}

// rxMarks maps a PPPoE session ID to its live session's mark; indexed by ID
// so the receive path needs no hashing.
type rxMarks [1 << 16]atomic.Pointer[rxMark]

// note marks the session of one received Ethernet frame (RFC 2516 section
// 4: EtherType 0x8864, code 0, session ID at bytes 16-17, source MAC at
// 6-11) when it belongs to a live session.
func (m *rxMarks) note(f []byte) {
	if len(f) < 20 || f[12] != 0x88 || f[13] != 0x64 || f[15] != 0 {
		return
	}
	r := m[uint16(f[16])<<8|uint16(f[17])].Load()
	if r == nil || [6]byte(f[6:12]) != r.peer {
		return
	}
	if !r.seen.Load() {
		r.seen.Store(true)
	}
}

// markingLink is the AC's session socket as the data plane sees it: every
// frame read also marks its session as alive. The data plane hands IPv4 and
// IPv6 frames straight to the TUN, never to ppp.Conn.Input, yet they are
// proof of life for the LCP echo keepalive (protocols.md: some BRAS drop
// echoes under load; the same goes for clients).
type markingLink struct {
	*hostnet.PacketConn
	marks *rxMarks
}

// ReadBatch reads like hostnet.PacketConn.ReadBatch and marks the sessions
// of the frames read.
func (l *markingLink) ReadBatch(bufs [][]byte, sizes []int) (int, error) {
	n, err := l.PacketConn.ReadBatch(bufs, sizes)
	for i := 0; i < n; i++ {
		l.marks.note(bufs[i][:sizes[i]])
	}
	return n, err
}

type ctlFrame struct {
	id   uint16
	peer pppoe.MAC
	ppp  []byte
}

// AccessConcentrator runs the AC role: discovery (pppoe.AC), one ppp.Conn
// in server role per session, and IPv4 forwarding between the sessions and
// a TUN, routed by destination address (dataplane.AC).
type AccessConcentrator struct {
	cfg      ACConfig
	mac      pppoe.MAC
	disc     *pppoe.AC
	dp       *dataplane.AC
	sessions map[uint16]*acSession
	used     map[netip.Addr]bool
	last     netip.Addr // last address handed out (round-robin)
	discCh   chan []byte
	ctlCh    chan ctlFrame
	dropCh   chan string
	ready    chan struct{}
	rx       *rxMarks
}

// NewAccessConcentrator checks cfg.
func NewAccessConcentrator(cfg ACConfig) (*AccessConcentrator, error) {
	if cfg.Interface == "" || cfg.StateDir == "" {
		return nil, errors.New("access concentrator: Interface and StateDir are required")
	}
	if !cfg.Local.Is4() || !cfg.Pool.Addr().Is4() {
		return nil, errors.New("access concentrator: Local and Pool must be IPv4")
	}
	if cfg.TUN == "" {
		cfg.TUN = "dp-ac0"
	}
	if cfg.Name == "" {
		cfg.Name = "dualpath-ac"
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(Event) {}
	}
	return &AccessConcentrator{cfg: cfg, sessions: map[uint16]*acSession{}, used: map[netip.Addr]bool{},
		discCh: make(chan []byte, 256), ctlCh: make(chan ctlFrame, 1024), dropCh: make(chan string, 4), ready: make(chan struct{})}, nil
}

// Ready is closed once the AC answers discovery.
func (a *AccessConcentrator) Ready() <-chan struct{} { return a.ready }

func (a *AccessConcentrator) emit(e Event) {
	e.Time = time.Now()
	e.Interface = a.cfg.Interface
	a.cfg.OnEvent(e)
}

// Run serves until ctx is cancelled, then terminates every session (PADT)
// and undoes its host changes.
func (a *AccessConcentrator) Run(ctx context.Context) (err error) {
	if err := os.MkdirAll(a.cfg.StateDir, 0o700); err != nil {
		return err
	}
	var j *hostnet.Journal
	var link, disc *hostnet.PacketConn
	inNS := func(fn func() error) error {
		if a.cfg.Namespace == "" {
			return fn()
		}
		return hostnet.InNamespace(a.cfg.Namespace, fn)
	}
	if err := inNS(func() error {
		var err error
		if j, err = hostnet.OpenJournal(filepath.Join(a.cfg.StateDir, "ac-"+a.cfg.TUN+".journal")); err != nil {
			return err
		}
		if link, err = hostnet.OpenPacketConn(a.cfg.Interface, pppoe.EtherTypeSession); err != nil {
			return err
		}
		disc, err = hostnet.OpenPacketConn(a.cfg.Interface, pppoe.EtherTypeDiscovery)
		return err
	}); err != nil {
		if link != nil {
			link.Close()
		}
		if j != nil {
			j.Close()
		}
		return err
	}
	defer func() {
		if uerr := j.UndoAll(); uerr != nil && err == nil {
			err = uerr
		}
		j.Close()
	}()
	if a.mac, err = pppoe.MACFrom(link.HardwareAddr()); err != nil {
		link.Close()
		disc.Close()
		return fmt.Errorf("access concentrator on %s: %w", a.cfg.Interface, err)
	}
	mtu := pppoe.MaxPayloadDefault
	if a.cfg.MaxPayload > pppoe.MaxPayloadDefault {
		mtu = int(a.cfg.MaxPayload)
	}
	dev, err := j.CreateTUN(a.cfg.TUN, mtu)
	if err != nil {
		link.Close()
		disc.Close()
		return err
	}
	for _, step := range []func() error{
		func() error { return j.AddAddress(a.cfg.TUN, netip.PrefixFrom(a.cfg.Local, 32)) },
		func() error { return j.AddRoute(254, a.cfg.Pool.Masked(), a.cfg.TUN) },
		func() error { return j.SetSysctl("net.ipv4.ip_forward", "1") },
	} {
		if err := step(); err != nil {
			link.Close()
			disc.Close()
			return err
		}
	}
	a.disc = pppoe.NewAC(pppoe.ACConfig{MAC: a.mac, Name: a.cfg.Name, ServiceNames: a.cfg.ServiceNames,
		MaxSessions: a.cfg.MaxSessions, MaxPayload: a.cfg.MaxPayload})
	a.rx = new(rxMarks)
	a.dp = dataplane.NewAC(dataplane.ACConfig{TUN: dev, Link: &markingLink{PacketConn: link, marks: a.rx}, Discovery: disc,
		OnControl: func(id uint16, peer pppoe.MAC, p []byte) {
			select {
			case a.ctlCh <- ctlFrame{id, peer, p}:
			default:
			}
		},
		OnDiscovery: func(f []byte) {
			select {
			case a.discCh <- f:
			default:
			}
		},
	})
	dpCtx, stopDP := context.WithCancel(context.Background())
	dpDone := make(chan error, 1)
	go func() { dpDone <- a.dp.Run(dpCtx) }()
	defer func() {
		stopDP()
		<-dpDone
	}()
	close(a.ready)

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := time.Hour
		for _, s := range a.sessions {
			if d := s.deadline(); !d.IsZero() {
				wait = min(wait, max(time.Until(d), 0))
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			for id := range a.sessions {
				a.end(id, "access concentrator shutting down")
			}
			a.flushDiscovery()
			return nil
		case derr := <-dpDone:
			dpDone <- derr
			return fmt.Errorf("data plane stopped: %v", derr)
		case reason := <-a.dropCh:
			for id := range a.sessions {
				a.end(id, reason)
			}
		case f := <-a.discCh:
			dst, src, et, payload, ok := splitEth(f)
			if ok && et == pppoe.EtherTypeDiscovery && (dst == a.mac || dst == pppoe.Broadcast) {
				a.disc.Input(time.Now(), src, payload)
			}
		case c := <-a.ctlCh:
			if s, ok := a.sessions[c.id]; ok && s.peer == c.peer {
				now := time.Now()
				s.startLCP(now)
				s.conn.Input(now, c.ppp)
			}
		case <-timer.C:
			now := time.Now()
			for _, s := range a.sessions {
				// Frames the data plane forwarded since the last tick
				// count as liveness (the echo deadline is a tick).
				if s.rx.seen.Swap(false) {
					s.conn.NoteReceived(now)
				}
				s.tick(now)
			}
		}
		a.step()
	}
}

func (a *AccessConcentrator) flushDiscovery() {
	for _, f := range a.disc.Output() {
		_ = a.dp.SendDiscovery(ethFrame(f.Dst, a.mac, pppoe.EtherTypeDiscovery, f.Payload))
	}
}

// allocate hands out pool addresses round-robin, as ISPs do: a client that
// redials usually gets a different address (the lab's DDNS checks need
// that). The network and broadcast addresses and Local are skipped.
func (a *AccessConcentrator) allocate() (netip.Addr, bool) {
	pool := a.cfg.Pool.Masked()
	first := pool.Addr().Next()
	usable := func(p netip.Addr) bool {
		return pool.Contains(p) && p != a.cfg.Local && p.Next().IsValid() && pool.Contains(p.Next())
	}
	start := a.last.Next()
	if !usable(start) {
		start = first
	}
	p := start
	for {
		if usable(p) && !a.used[p] {
			a.used[p] = true
			a.last = p
			return p, true
		}
		p = p.Next()
		if !pool.Contains(p) || !p.Next().IsValid() || !pool.Contains(p.Next()) {
			p = first
		}
		if p == start {
			return netip.Addr{}, false
		}
	}
}

func (a *AccessConcentrator) step() {
	for _, ev := range a.disc.Events() {
		switch ev.Kind {
		case pppoe.EventSession:
			a.open(ev)
		case pppoe.EventTerminated:
			if s, ok := a.sessions[ev.SessionID]; ok {
				a.drop(s, "PADT from the client")
			}
		}
	}
	a.flushDiscovery()
	for id, s := range a.sessions {
		for _, p := range s.conn.Output() {
			_ = a.dp.SendControl(id, s.peer, p)
		}
		for _, ev := range s.conn.Events() {
			switch ev.Kind {
			case ppp.EventAuthOK, ppp.EventAuthFailed:
				st := "ok"
				if ev.Kind == ppp.EventAuthFailed {
					st = "failed"
				}
				a.emit(Event{Kind: KindAuth, State: st, SessionID: id, ACMAC: s.peer, Method: ev.Method, Reason: ev.Reason})
			case ppp.EventIPCPUp:
				mtu := ev.Params.MTU
				if mtu == 0 {
					mtu = pppoe.MaxPayloadDefault
				}
				// Now the session owns its address (AddSession replaces
				// the entry made at PADS).
				if err := a.dp.AddSession(dataplane.Session{ID: id, Local: a.mac, Peer: s.peer, MTU: mtu},
					netip.PrefixFrom(ev.Params.PeerIPv4, 32)); err != nil {
					s.conn.Close(time.Now(), "data plane: "+err.Error())
					continue
				}
				s.up = true
				a.emit(Event{Kind: KindUp, SessionID: id, ACMAC: s.peer, Address: ev.Params.PeerIPv4,
					Peer: ev.Params.LocalIPv4, DNS: ev.Params.DNS, MTU: mtu})
			case ppp.EventIPv6CPUp:
				a.emit(Event{Kind: KindIPv6Up, SessionID: id, ACMAC: s.peer,
					Address: linkLocal(ev.Params.PeerIID), Peer: linkLocal(ev.Params.LocalIID)})
			case ppp.EventDown:
				a.end(id, ev.Reason)
			}
		}
		if _, live := a.sessions[id]; live {
			for _, p := range s.conn.Output() {
				_ = a.dp.SendControl(id, s.peer, p)
			}
		}
	}
	a.flushDiscovery()
}

func (a *AccessConcentrator) open(ev pppoe.Event) {
	s := &acSession{id: ev.SessionID, peer: ev.Peer}
	conn, err := ppp.NewConn(ppp.Config{
		Role: ppp.RoleServer, MRU: ev.MaxPayload, MaxMRU: ev.MaxPayload, Auth: a.cfg.Auth,
		Secrets: func(user string) ([]byte, bool) {
			pw, ok := a.cfg.Secrets[user]
			return pw, ok
		},
		LocalIPv4: a.cfg.Local,
		AssignIPv4: func() (netip.Addr, bool) {
			addr, ok := a.allocate()
			s.addr = addr
			return addr, ok
		},
		DNS: a.cfg.DNS, IPv6CP: a.cfg.IPv6CP, EchoInterval: a.cfg.EchoInterval, EchoFailures: a.cfg.EchoFailures,
		Name: a.cfg.Name,
	})
	if err != nil {
		a.disc.Terminate(ev.SessionID, "PPP configuration error")
		return
	}
	s.conn = conn
	// Known to the data plane from now on, before PADS leaves (step sends
	// it after this), so the client's first LCP frame reaches us.
	if err := a.dp.AddSession(dataplane.Session{ID: s.id, Local: a.mac, Peer: s.peer, MTU: int(ev.MaxPayload)}); err != nil {
		a.disc.Terminate(ev.SessionID, "data plane: "+err.Error())
		return
	}
	a.sessions[s.id] = s
	s.rx = &rxMark{peer: s.peer}
	a.rx[s.id].Store(s.rx)
	a.emit(Event{Kind: KindSession, SessionID: s.id, ACMAC: s.peer, MaxPayload: ev.MaxPayload})
	s.openAt = time.Now().Add(lcpOpenDelay)
}

// end terminates a session from our side: PADT, then forget it.
func (a *AccessConcentrator) end(id uint16, reason string) {
	s, ok := a.sessions[id]
	if !ok {
		return
	}
	a.disc.Terminate(id, reason)
	a.drop(s, reason)
}

func (a *AccessConcentrator) drop(s *acSession, reason string) {
	// RFC 1661 section 4.1 "Down": the PPPoE session is gone, so PPP sends
	// nothing more; its EventDown (a no-op if PPP went down first) is not
	// needed because the session is forgotten here.
	s.conn.LowerDown(time.Now(), reason)
	s.conn.Events()
	s.conn.Output()
	a.rx[s.id].CompareAndSwap(s.rx, nil)
	delete(a.sessions, s.id)
	a.dp.RemoveSession(s.id, s.peer)
	if s.addr.IsValid() {
		delete(a.used, s.addr)
	}
	a.emit(Event{Kind: KindDown, SessionID: s.id, ACMAC: s.peer, Address: s.addr, Reason: reason})
}

// DropAll ends every live session with a PADT carrying reason (as a BRAS
// does on maintenance); clients may dial again at once. Safe to call from
// any goroutine while Run runs.
func (a *AccessConcentrator) DropAll(reason string) {
	select {
	case a.dropCh <- reason:
	default:
	}
}

// Sessions returns the number of live sessions. Call it only from OnEvent
// (the AC's goroutine).
func (a *AccessConcentrator) Sessions() int { return len(a.sessions) }
