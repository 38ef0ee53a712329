package bras

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// Config configures the BRAS.
type Config struct {
	Interface string // the access network (raw Ethernet)
	TUN       string // carries every session's IPv4; the caller routes the pool to it
	Name      string // AC-Name
	Service   string // Service-Name offered ("" offers any)
	Pool      netip.Prefix
	DNS       []netip.Addr
	Auth      ppp.AuthMethod // required of clients (AuthAuto: CHAP, PAP if Nak'd)
	// Secrets gives a user's password; unknown users are refused.
	Secrets      func(user string) ([]byte, bool)
	EchoInterval time.Duration
	Log          *slog.Logger
	// Namespace, when set, opens the link and the TUN inside that named
	// network namespace (tests); empty: the current one.
	Namespace string
}

// pppSession is one live PPPoE session.
type pppSession struct {
	id   uint16
	peer pppoe.MAC
	conn *ppp.Conn
	addr netip.Addr // assigned by IPCP
	up   bool       // in the data plane
	// openAt delays our first LCP Configure-Request a little after PADS:
	// the client is still installing the session, and a request it drops
	// costs a whole restart timer (RFC 1661 section 4.6, 3 s).
	openAt time.Time
	opened bool
}

// Server is a running BRAS. Its control plane is one goroutine (Run);
// DropAll may be called from any goroutine.
type Server struct {
	cfg   Config
	pool  *Pool
	local pppoe.MAC
	ac    *pppoe.AC
	dp    *dataplane.AC
	sess  map[uint16]*pppSession
	disc  chan []byte
	ctl   chan ctlFrame
	drop  chan string
}

type ctlFrame struct {
	id   uint16
	peer pppoe.MAC
	ppp  []byte
}

// New checks cfg.
func New(cfg Config) (*Server, error) {
	pool, err := NewPool(cfg.Pool)
	if err != nil {
		return nil, err
	}
	if cfg.Secrets == nil {
		return nil, fmt.Errorf("bras: no secrets")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Server{cfg: cfg, pool: pool, sess: map[uint16]*pppSession{},
		disc: make(chan []byte, 256), ctl: make(chan ctlFrame, 1024), drop: make(chan string, 4)}, nil
}

// DropAll ends every session with PADT (RFC 2516 section 5.5), as an ISP
// does; clients are expected to dial again.
func (s *Server) DropAll(reason string) {
	select {
	case s.drop <- reason:
	default:
	}
}

func ethFrame(dst, src pppoe.MAC, etherType uint16, payload []byte) []byte {
	f := make([]byte, 14+len(payload))
	copy(f[0:6], dst[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:14], etherType)
	copy(f[14:], payload)
	return f
}

// Run serves until ctx ends, then ends every session with PADT.
func (s *Server) Run(ctx context.Context) error {
	var (
		link, disc *hostnet.PacketConn
		dev        tun.Device
	)
	open := func() (err error) {
		if link, err = hostnet.OpenPacketConn(s.cfg.Interface, pppoe.EtherTypeSession); err != nil {
			return err
		}
		if disc, err = hostnet.OpenPacketConn(s.cfg.Interface, pppoe.EtherTypeDiscovery); err != nil {
			return err
		}
		if dev, err = tun.CreateTUN(s.cfg.TUN, 1500); err != nil {
			return fmt.Errorf("create TUN %s: %v", s.cfg.TUN, err)
		}
		return nil
	}
	var err error
	if s.cfg.Namespace != "" {
		err = hostnet.InNamespace(s.cfg.Namespace, open)
	} else {
		err = open()
	}
	for _, c := range []*hostnet.PacketConn{link, disc} {
		if c != nil {
			defer c.Close()
		}
	}
	if dev != nil {
		defer dev.Close()
	}
	if err != nil {
		return err
	}
	if s.local, err = pppoe.MACFrom(link.HardwareAddr()); err != nil {
		return err
	}
	s.ac = pppoe.NewAC(pppoe.ACConfig{MAC: s.local, Name: s.cfg.Name, ServiceNames: nonEmpty(s.cfg.Service)})
	s.dp = dataplane.NewAC(dataplane.ACConfig{
		TUN: dev, Link: link, Discovery: disc,
		OnControl: func(id uint16, peer net.HardwareAddr, p []byte) {
			m, _ := pppoe.MACFrom(peer)
			select {
			case s.ctl <- ctlFrame{id, m, append([]byte(nil), p...)}:
			default:
			}
		},
		OnDiscovery: func(f []byte) {
			select {
			case s.disc <- append([]byte(nil), f...):
			default:
			}
		},
	})
	dpCtx, stop := context.WithCancel(context.Background())
	dpDone := make(chan error, 1)
	go func() { dpDone <- s.dp.Run(dpCtx) }()
	defer func() { stop(); <-dpDone }()
	s.cfg.Log.Info("BRAS up", "interface", s.cfg.Interface, "ac_name", s.cfg.Name, "pool", s.cfg.Pool)

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.dropAll("BRAS shutting down")
			return nil
		case err := <-dpDone:
			dpDone <- err
			return fmt.Errorf("data plane stopped: %v", err)
		case reason := <-s.drop:
			s.dropAll(reason)
		case f := <-s.disc:
			s.discovery(f)
		case c := <-s.ctl:
			if ss := s.sess[c.id]; ss != nil && ss.peer == c.peer {
				s.open(ss, time.Now())
				ss.conn.Input(time.Now(), c.ppp)
				s.service(ss)
			}
		case now := <-tick.C:
			for _, ss := range s.sess {
				if !ss.opened && !now.Before(ss.openAt) {
					s.open(ss, now)
				}
				ss.conn.Tick(now)
				s.service(ss)
			}
		}
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (s *Server) flushDiscovery() {
	for _, f := range s.ac.Output() {
		_ = s.dp.SendDiscovery(ethFrame(f.Dst, s.local, pppoe.EtherTypeDiscovery, f.Payload))
	}
}

// discovery handles one 0x8863 frame.
func (s *Server) discovery(f []byte) {
	if len(f) < 14 {
		return
	}
	var dst, src pppoe.MAC
	copy(dst[:], f[0:6])
	copy(src[:], f[6:12])
	if binary.BigEndian.Uint16(f[12:14]) != pppoe.EtherTypeDiscovery || (dst != s.local && dst != pppoe.Broadcast) {
		return
	}
	s.ac.Input(time.Now(), src, f[14:])
	// Register a new session with the data plane before its PADS leaves:
	// a quick client's first LCP frame must not find it unknown.
	defer s.flushDiscovery()
	for _, ev := range s.ac.Events() {
		switch ev.Kind {
		case pppoe.EventSession:
			s.startPPP(ev)
		case pppoe.EventTerminated:
			if ss := s.sess[ev.SessionID]; ss != nil {
				s.cfg.Log.Info("PADT from the client", "session", ss.id, "peer", ss.peer)
				s.end(ss, "")
			}
		}
	}
}

// startPPP runs PPP in the server role for a confirmed session.
func (s *Server) startPPP(ev pppoe.Event) {
	if old := s.sess[ev.SessionID]; old != nil {
		s.end(old, "")
	}
	ss := &pppSession{id: ev.SessionID, peer: ev.Peer}
	mtu := uint16(ev.MaxPayload)
	conn, err := ppp.NewConn(ppp.Config{
		Role: ppp.RoleServer, Auth: s.cfg.Auth, Secrets: s.cfg.Secrets, Name: s.cfg.Name,
		LocalIPv4: s.pool.Local(), DNS: s.cfg.DNS, MRU: mtu, MaxMRU: mtu, EchoInterval: s.cfg.EchoInterval,
		AssignIPv4: func() (netip.Addr, bool) {
			a, ok := s.pool.Get()
			if ok {
				ss.addr = a
			}
			return a, ok
		},
	})
	if err != nil {
		s.cfg.Log.Warn("PPP", "err", err)
		s.ac.Terminate(ev.SessionID, "internal error")
		s.flushDiscovery()
		return
	}
	ss.conn = conn
	s.sess[ss.id] = ss
	// The data plane must know the session to hand us its control frames.
	if err := s.dp.AddSession(dataplane.Session{ID: ss.id, Local: s.local.HardwareAddr(), Peer: ss.peer.HardwareAddr(), MTU: int(mtu)}); err != nil {
		s.cfg.Log.Warn("data plane", "err", err)
	}
	s.cfg.Log.Info("session", "id", ss.id, "peer", ss.peer)
	ss.openAt = time.Now().Add(150 * time.Millisecond)
}

// open starts LCP on the session once: at openAt, or as soon as the client
// speaks first.
func (s *Server) open(ss *pppSession, now time.Time) {
	if ss.opened {
		return
	}
	ss.opened = true
	ss.conn.Open(now)
}

// service sends what PPP wants sent and acts on its events.
func (s *Server) service(ss *pppSession) {
	for _, p := range ss.conn.Output() {
		_ = s.dp.SendControl(ss.id, ss.peer.HardwareAddr(), p)
	}
	for _, ev := range ss.conn.Events() {
		switch ev.Kind {
		case ppp.EventAuthOK:
			s.cfg.Log.Info("auth ok", "session", ss.id, "user", ev.Params.Username, "method", ev.Params.AuthMethod)
		case ppp.EventAuthFailed:
			s.cfg.Log.Info("auth failed", "session", ss.id, "reason", ev.Reason)
		case ppp.EventIPCPUp:
			p := ev.Params
			s.dp.RemoveSession(ss.id, ss.peer.HardwareAddr())
			if err := s.dp.AddSession(dataplane.Session{ID: ss.id, Local: s.local.HardwareAddr(), Peer: ss.peer.HardwareAddr(), MTU: p.MTU},
				netip.PrefixFrom(p.PeerIPv4, 32)); err != nil {
				s.cfg.Log.Warn("data plane", "err", err)
				continue
			}
			ss.up = true
			s.cfg.Log.Info("up", "session", ss.id, "address", p.PeerIPv4, "mtu", p.MTU)
		case ppp.EventDown:
			s.cfg.Log.Info("down", "session", ss.id, "reason", ev.Reason)
			s.end(ss, "PPP link down: "+ev.Reason)
			return
		}
	}
}

// end forgets a session; with a reason it also sends PADT.
func (s *Server) end(ss *pppSession, reason string) {
	if reason != "" {
		s.ac.Terminate(ss.id, reason)
		s.flushDiscovery()
	}
	s.dp.RemoveSession(ss.id, ss.peer.HardwareAddr())
	if ss.addr.IsValid() {
		s.pool.Put(ss.addr)
	}
	delete(s.sess, ss.id)
}

func (s *Server) dropAll(reason string) {
	for _, ss := range s.sess {
		s.cfg.Log.Info("dropping session (PADT)", "session", ss.id, "address", ss.addr, "reason", reason)
		s.end(ss, reason)
	}
}
