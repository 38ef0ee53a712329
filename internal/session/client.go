package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// ClientConfig configures a client session.
type ClientConfig struct {
	// Interface is the LAN interface that reaches the access concentrator
	// (through the router's PPPoE passthrough).
	Interface string
	// Username and Password authenticate the session (PAP or CHAP-MD5).
	Username string
	Password []byte
	// ServiceName and ACName select the access concentrator; empty accepts
	// any.
	ServiceName, ACName string
	// Auth restricts the methods accepted (ppp.AuthAuto: what the AC asks).
	Auth ppp.AuthMethod
	// MTU is the MRU we ask for and the TUN's MTU. Above 1492 it needs
	// RFC 4638 PPP-Max-Payload from the AC and a link MTU of MTU+8, else
	// the session uses 1492.
	MTU int
	// TUN names the TUN device.
	TUN string
	// Table is the policy routing table; RulePriority the priority of
	// `from <addr> lookup <table>` (default 10000).
	Table, RulePriority int
	// EchoInterval, EchoFailures and EchoProbeInterval tune the LCP
	// keepalive (ppp.Config): after EchoInterval without any frame,
	// EchoFailures probes EchoProbeInterval apart (0: ppp's default, at
	// most EchoInterval), then the session is over.
	EchoInterval      time.Duration
	EchoFailures      int
	EchoProbeInterval time.Duration
	// StateDir keeps the host-change journal and the last session (for
	// the stale-session PADT after a crash).
	//
	// MTU, TUN, Table, EchoInterval, EchoFailures and StateDir have no
	// defaults here (package config owns them, ClientConfigFrom applies
	// them): NewClient refuses a zero value, and every value config
	// refuses.
	StateDir string
	// Macvlan runs the session on a macvlan child with its own MAC.
	Macvlan bool
	// DefaultRoute also routes all IPv4 through the session (0.0.0.0/1
	// and 128.0.0.0/1 in the main table, leaving its default alone).
	DefaultRoute bool
	// IPv6CP negotiates IPv6CP (RFC 5072) too.
	IPv6CP bool
	// Namespace, when set, runs everything inside that named network
	// namespace (tests and the lab). Empty: the current one.
	Namespace string
	// Discovery timing (defaults: 1 s doubling to 8 s, 5 PADIs, 4 PADRs).
	DiscoveryTimeout time.Duration
	PADIAttempts     int
	// Backoff bounds the wait before reconnecting (default 1 s doubling
	// to 60 s); AuthBackoff is the wait after an authentication failure
	// (default 60 s), so a wrong password never becomes a tight loop that
	// gets the line locked.
	MinBackoff, MaxBackoff, AuthBackoff time.Duration
	// OnEvent receives every event, from the session goroutine.
	OnEvent func(Event)
}

// check refuses what config refuses (one owner of each limit: package
// config) and fills only the session's own tunables. The values the config
// file owns (MTU, TUN, Table, echo, StateDir) have no defaults here: a
// zero is refused; ClientConfigFrom fills them from a config.PPPoE.
func (c *ClientConfig) check() error {
	if c.Interface == "" {
		return errors.New("no interface given: name the LAN interface with --interface")
	}
	if c.Username == "" {
		return errors.New("no PPPoE user name given")
	}
	for _, f := range []struct {
		name string
		err  error
	}{
		{"mtu", config.CheckMTU(c.MTU)},
		{"tun", config.CheckTUN(c.TUN, c.Interface)},
		{"table", config.CheckTable(c.Table)},
		{"echo interval", checkEchoInterval(c.EchoInterval)},
		{"echo failures", config.CheckEchoFailures(c.EchoFailures)},
	} {
		if f.err != nil {
			return fmt.Errorf("%s: %v", f.name, f.err)
		}
	}
	if c.StateDir == "" {
		return errors.New("no state directory given")
	}
	if c.RulePriority == 0 {
		c.RulePriority = 10000
	}
	if c.EchoInterval == 0 {
		c.EchoInterval = 10 * time.Second
	}
	if c.EchoFailures == 0 {
		c.EchoFailures = 3
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 60 * time.Second
	}
	if c.AuthBackoff == 0 {
		c.AuthBackoff = 60 * time.Second
	}
	if c.OnEvent == nil {
		c.OnEvent = func(Event) {}
	}
	return nil
}

// staleFile is where the live session is recorded (pppoe.StaleSession).
func (c *ClientConfig) staleFile() string {
	return filepath.Join(c.StateDir, "pppoe-"+c.TUN+".session")
}

func (c *ClientConfig) journalFile() string {
	return filepath.Join(c.StateDir, "pppoe-"+c.TUN+".journal")
}

// ErrAuth marks an authentication failure (wrong user name or password).
var ErrAuth = errors.New("authentication failed")

// outcome is how one connection attempt ended.
type outcome struct {
	reason     string
	cause      Cause
	authFailed bool // sticky: the PADT or link-down that follows is its consequence, not the reason
	wasUp      bool
	noOffer    bool
	noPADT     bool           // the session ended without our PADT (keep its record)
	method     ppp.AuthMethod // CauseAuth: the method that failed
	discovery  string         // CauseDiscovery: discoveryCode
	err        error          // CauseHost: what failed below
}

// saveStale records the live session; removeStale forgets it.
func (c *ClientConfig) saveStale(s pppoe.StaleSession) error {
	b, _ := json.Marshal(s)
	tmp := c.staleFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.staleFile())
}

func (c *ClientConfig) removeStale() { os.Remove(c.staleFile()) }

func (c *ClientConfig) loadStale() (pppoe.StaleSession, bool) {
	var s pppoe.StaleSession
	b, err := os.ReadFile(c.staleFile())
	if err != nil || json.Unmarshal(b, &s) != nil || s.SessionID == 0 {
		return s, false
	}
	return s, true
}

// ethFrame builds an Ethernet frame for a discovery payload.
func ethFrame(dst, src pppoe.MAC, etherType uint16, payload []byte) []byte {
	return append(pppoe.AppendEthernet(make([]byte, 0, pppoe.EthHeaderLen+len(payload)), dst, src, etherType), payload...)
}

// splitEth returns the addresses, type and payload of an untagged Ethernet
// frame; an 802.1Q-tagged one (another VLAN than the session's link) is
// not ok.
func splitEth(f []byte) (dst, src pppoe.MAC, etherType uint16, payload []byte, ok bool) {
	h, payload, err := pppoe.ParseEthernet(f)
	if err != nil || h.Tagged {
		return dst, src, 0, nil, false
	}
	return h.Dst, h.Src, h.EtherType, payload, true
}

// noOfferReason is the actionable message for a silent line.
func noOfferReason(ifname string) string {
	return fmt.Sprintf("no PPPoE access concentrator answered on %s: is PPPoE passthrough enabled on the router?", ifname)
}

func discoveryFailure(ifname string, ev pppoe.Event) string {
	switch ev.Reason {
	case pppoe.FailNoOffer:
		if ev.Err != nil {
			return fmt.Sprintf("no usable PPPoE offer on %s: %v", ifname, ev.Err)
		}
		if ev.Offers > 0 {
			return fmt.Sprintf("%d PPPoE offer(s) on %s but none matched the requested AC name/service", ev.Offers, ifname)
		}
		return noOfferReason(ifname)
	case pppoe.FailNoPADS:
		return fmt.Sprintf("the access concentrator %s did not confirm the session (no PADS)", ev.Peer)
	case pppoe.FailRefused:
		if ev.Err != nil {
			return fmt.Sprintf("the access concentrator refused the session: %s: %s", ev.Err.Type, ev.Err.SafeText())
		}
		return "the access concentrator refused the session"
	}
	return "discovery failed"
}

// linkLocal is the fe80::/64 address made from an IPv6CP interface
// identifier (RFC 5072 section 5).
func linkLocal(iid [8]byte) netip.Addr {
	var b [16]byte
	b[0], b[1] = 0xfe, 0x80
	copy(b[8:], iid[:])
	return netip.AddrFrom16(b)
}

// checkEchoInterval accepts every interval config accepts, and shorter ones
// (tests run the keepalive in fractions of a second): config's lower
// bound is advice to users, not a limit of the session.
func checkEchoInterval(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s is not an interval (config.DefaultEchoInterval is %s)", d, config.DefaultEchoInterval)
	}
	if d > config.MaxEchoInterval {
		return config.CheckEchoInterval(d)
	}
	return nil
}

// ClientConfigFrom is the one conversion of the config file's pppoe section
// (defaults applied, as config.Load and `dualpath pppoe` leave it) into a
// ClientConfig, for `dualpath run` and `dualpath pppoe`. lan is the LAN
// interface and stateDir the state directory. OnEvent is left to the caller.
func ClientConfigFrom(lan, stateDir string, p *config.PPPoE, password []byte) (ClientConfig, error) {
	if err := config.CheckAuth(p.Auth); err != nil {
		return ClientConfig{}, fmt.Errorf("auth: %v", err)
	}
	auth, err := ppp.ParseAuthMethod(p.Auth)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("auth: %v", err)
	}
	return ClientConfig{
		Interface: lan, Username: p.Username, Password: password,
		ServiceName: p.Service, ACName: p.ACName, Auth: auth, MTU: p.MTU, TUN: p.TUN,
		Table: p.Table, EchoInterval: p.EchoInterval, EchoFailures: p.EchoFailures, EchoProbeInterval: p.EchoProbeInterval,
		StateDir: stateDir, Macvlan: p.Macvlan, DefaultRoute: p.DefaultRoute,
	}, nil
}
