package daemon

import (
	"net/netip"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/msg"
)

// The parts of the daemon the status reads at each snapshot, each a small
// interface its owner implements (as dataplane.TUN and Link are for the
// data plane): the session's traffic, the DNS records, the MAP-E line, the
// warnings, the look from outside, the fixed-IP tunnel.
type (
	TrafficSource interface{ Traffic() Traffic }
	DNSSource     interface{ DNSStatus() []DNSStatus }
	LineSource    interface{ Line() *LineStatus }
	WarningSource interface{ Warnings() []msg.Text }
	ReachSource   interface{ Reach() *ReachStatus }
	TunnelSource  interface{ Tunnel() *TunnelStatus }
)

// Traffic is the session's data-plane counters, as read from the data plane.
type Traffic struct {
	RxBytes, TxBytes, RxPackets, TxPackets uint64
}

// State is the daemon's live picture: components report into it, the status
// socket and the metrics endpoint read from it. All methods are safe for
// concurrent use. It holds no secret: only addresses, names and errors that
// the components already scrubbed.
type State struct {
	mu  sync.Mutex
	now func() time.Time

	version, config, metrics string
	pid                      int
	started                  time.Time

	session     SessionStatus
	upSince     time.Time
	lastUp      time.Time // last time a session came up (metrics)
	everUp      bool
	traffic     TrafficSource
	dnsFunc     DNSSource
	dnsCounters DNSCounters
	firewall    FirewallStatus
	components  map[string]ComponentNote
	line        LineSource
	warnings    WarningSource
	reach       ReachSource
	tunnel      TunnelSource
}

// DNSCounters is what the metrics read from the DNS updater
// (ddns.Updater), at each scrape: its own counts, not derived here.
type DNSCounters interface {
	ByProvider() map[string]ddns.ProviderCounters
}

// NewState starts an empty picture for a daemon of the given version.
func NewState(version string) *State {
	s := &State{
		now:        time.Now,
		version:    version,
		pid:        os.Getpid(),
		components: map[string]ComponentNote{},
		session:    SessionStatus{State: StateDisabled},
	}
	s.started = s.now().UTC()
	return s
}

func (s *State) lock() func() { s.mu.Lock(); return s.mu.Unlock }

// SetConfig records the config file name and the metrics address ("" when off).
func (s *State) SetConfig(path, metrics string) {
	defer s.lock()()
	s.config, s.metrics = path, metrics
}

// SetComponent records whether a component runs, and why not.
func (s *State) SetComponent(name string, running bool, note msg.Text) {
	defer s.lock()()
	s.components[name] = ComponentNote{Name: name, Running: running, Note: note.EN, NoteJA: note.JA}
}

// SetLine gives the status the MAP-E line summary (read at each snapshot).
func (s *State) SetLine(f LineSource) {
	defer s.lock()()
	s.line = f
}

// SetReach gives the status the last reachability check.
func (s *State) SetReach(f ReachSource) {
	defer s.lock()()
	s.reach = f
}

// reachStatus is the last reachability check, or nil.
func (s *State) reachStatus() *ReachStatus {
	s.mu.Lock()
	f := s.reach
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.Reach()
}

// SetWarnings gives the status its warnings (looked for at each snapshot).
func (s *State) SetWarnings(f WarningSource) {
	defer s.lock()()
	s.warnings = f
}

// SetTraffic gives the status and the metrics the data-plane counters.
func (s *State) SetTraffic(f TrafficSource) {
	defer s.lock()()
	s.traffic = f
}

// SessionConfigured records the session's fixed facts and moves it to starting.
func (s *State) SessionConfigured(lan, tun string, mtu int) {
	defer s.lock()()
	s.session.Interface, s.session.TUN, s.session.MTU = lan, tun, mtu
	s.session.State = StateStarting
}

// SessionState records a state without an address (connecting, stopping,
// ...) and reports whether it differs from the previous one.
func (s *State) SessionState(state string) (changed bool) {
	defer s.lock()()
	if state != StateUp {
		s.clearUp()
	}
	changed = s.session.State != state
	s.session.State = state
	return changed
}

// SessionUp records that a session came up with addr (and peer, DNS servers
// from IPCP). Every session after the first counts as a reconnect.
func (s *State) SessionUp(addr, peer netip.Addr, dns []netip.Addr, mtu int) {
	defer s.lock()()
	now := s.now().UTC()
	if s.everUp {
		s.session.Reconnects++
	}
	s.everUp = true
	s.upSince, s.lastUp = now, now
	s.session.State = StateUp
	s.session.Address = addrString(addr)
	s.session.Peer = addrString(peer)
	s.session.DNS = nil
	for _, d := range dns {
		s.session.DNS = append(s.session.DNS, d.String())
	}
	if mtu > 0 {
		s.session.MTU = mtu
	}
}

// SessionDown records that the session ended or an attempt failed, and why:
// reason in English, code for the reader's language (msg.CodeText).
func (s *State) SessionDown(reason msg.Text, code string) {
	defer s.lock()()
	s.clearUp()
	s.session.State = StateDown
	if reason.EN != "" {
		now := s.now().UTC()
		s.session.LastError, s.session.LastErrorJA, s.session.LastErrorCode, s.session.LastErrorAt = reason.EN, reason.OwnJA(), code, &now
	}
}

func (s *State) clearUp() {
	s.session.Address, s.session.Peer, s.session.DNS = "", "", nil
	s.upSince = time.Time{}
}

// SessionAddress is the address of the session while it is up.
func (s *State) SessionAddress() (netip.Addr, bool) {
	defer s.lock()()
	a, err := netip.ParseAddr(s.session.Address)
	return a, err == nil && s.session.State == StateUp
}

// SetDNS gives the status the DNS records (read at each snapshot), e.g.
// from the DNS updater.
func (s *State) SetDNS(f DNSSource) {
	defer s.lock()()
	s.dnsFunc = f
}

// SetDNSCounters gives the metrics the DNS updater's counters.
func (s *State) SetDNSCounters(c DNSCounters) {
	defer s.lock()()
	s.dnsCounters = c
}

// SetFirewall records whether the nftables table is in place and what it opens.
func (s *State) SetFirewall(f FirewallStatus) {
	defer s.lock()()
	f.TCP, f.UDP = nonNil(f.TCP), nonNil(f.UDP)
	s.firewall = f
}

// Snapshot is the status as of now. The line summary and the warnings are
// computed outside the lock (they read /proc and interfaces).
func (s *State) Snapshot() *Status {
	s.mu.Lock()
	line, warnings, traffic, dnsFunc, tunnelFunc := s.line, s.warnings, s.traffic, s.dnsFunc, s.tunnel
	now := s.now().UTC()
	st := &Status{
		Running:  true,
		Version:  s.version,
		PID:      s.pid,
		Started:  s.started,
		Config:   s.config,
		Session:  s.session,
		Firewall: s.firewall,
		Metrics:  s.metrics,
	}
	st.Session.DNS = slices.Clone(s.session.DNS)
	st.Firewall.TCP, st.Firewall.UDP = nonNil(slices.Clone(s.firewall.TCP)), nonNil(slices.Clone(s.firewall.UDP))
	if !s.upSince.IsZero() && s.session.State == StateUp {
		u := s.upSince
		st.Session.UpSince = &u
		st.Session.UptimeSeconds = int64(now.Sub(u) / time.Second)
	}
	for _, c := range s.components {
		st.Components = append(st.Components, c)
	}
	s.mu.Unlock()

	slices.SortFunc(st.Components, func(a, b ComponentNote) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	if dnsFunc != nil {
		st.DNS = dnsFunc.DNSStatus()
	}
	if st.DNS == nil {
		st.DNS = []DNSStatus{}
	}
	if st.Components == nil {
		st.Components = []ComponentNote{}
	}
	if traffic != nil {
		t := traffic.Traffic()
		st.Session.RxBytes, st.Session.TxBytes = t.RxBytes, t.TxBytes
		st.Session.RxPackets, st.Session.TxPackets = t.RxPackets, t.TxPackets
	}
	if line != nil {
		st.Line = line.Line()
	}
	st.Reach = s.reachStatus()
	if tunnelFunc != nil {
		st.Tunnel = tunnelFunc.Tunnel()
	}
	st.Warnings = []string{}
	if warnings != nil {
		for _, w := range warnings.Warnings() {
			st.Warnings = append(st.Warnings, w.EN)
			st.WarningsJA = append(st.WarningsJA, w.JA)
		}
	}
	return st
}

// Brief is the part of the status that says how the session or tunnel is
// and where visitors go (session, tunnel, DNS records), without the parts
// that cost: the warnings (the listening sockets from /proc and the host
// firewall from `nft -j list ruleset`, a process and a JSON parse each
// time), the line and the traffic. The watchers ask every few seconds and
// systemd's status line at every session event.
func (s *State) Brief() *Status {
	s.mu.Lock()
	st := &Status{Session: s.session}
	st.Session.DNS = slices.Clone(s.session.DNS)
	dnsFunc, tunnelFunc := s.dnsFunc, s.tunnel
	s.mu.Unlock()
	if dnsFunc != nil {
		st.DNS = dnsFunc.DNSStatus()
	}
	if tunnelFunc != nil {
		st.Tunnel = tunnelFunc.Tunnel()
	}
	return st
}

// Expected is ExpectedAddrs of the status as of now (read through Brief).
func (s *State) Expected() (v4, v6 netip.Addr) { return ExpectedAddrs(s.Brief()) }

// counters is what the metrics collector reads.
type counters struct {
	up                bool
	reconnects        int
	lastUp            time.Time
	traffic           Traffic
	firewall          bool
	providers         map[string]ddns.ProviderCounters
	version           string
	hasTraffic        bool
	sessionConfigured bool
}

func (s *State) counters() counters {
	s.mu.Lock()
	c := counters{
		up:                s.session.State == StateUp,
		reconnects:        s.session.Reconnects,
		lastUp:            s.lastUp,
		firewall:          s.firewall.Active,
		version:           s.version,
		sessionConfigured: s.session.State != StateDisabled,
	}
	traffic, dns := s.traffic, s.dnsCounters
	s.mu.Unlock()
	if dns != nil {
		c.providers = dns.ByProvider()
	}
	if traffic != nil {
		c.traffic, c.hasTraffic = traffic.Traffic(), true
	}
	return c
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func nonNil(p []uint16) []uint16 {
	if p == nil {
		return []uint16{}
	}
	return p
}

// SetTunnel gives the status the fixed-IP tunnel's state.
func (s *State) SetTunnel(f TunnelSource) {
	defer s.lock()()
	s.tunnel = f
}
