package config

import (
	"github.com/dualpath/dualpath/internal/msg"
	"strings"
	"time"

	"github.com/dualpath/dualpath/ppp"
)

// The PPPoE session's defaults and limits have one owner: this file.
// Load applies the defaults to a file, `dualpath pppoe` uses them as its
// flag defaults, and check-config, `dualpath pppoe` and the session's
// constructor (session.NewClient) all judge a value with the Check
// functions below, so the three never disagree about a value.
const (
	DefaultPPPoEMTU   = 1454 // NTT FLET'S
	DefaultPPPoETable = 4242
	DefaultTUN        = "dp-ppp0" // the PPPoE session's TUN device (pppoe.tun)
	DefaultPPPoEAuth  = "auto"
	// The keepalive (package ppp owns the mechanism and these values):
	// after echo_interval without any frame from the access concentrator,
	// echo_failures probes echo_probe_interval apart; unanswered, the
	// session is over: 10 s + 3 x 1 s = 13 s after the last frame.
	DefaultEchoInterval      = ppp.DefaultEchoInterval
	DefaultEchoFailures      = ppp.DefaultEchoFailures
	DefaultEchoProbeInterval = ppp.DefaultEchoProbeInterval

	// MaxPPPoEMTU is the largest PPP MTU the session asks for: 1500, which
	// needs RFC 4638 (PPP-Max-Payload) from the access concentrator and an
	// Ethernet MTU of at least 1508 on the link; without them the session
	// uses 1492, the most a 1500-byte Ethernet carries (RFC 2516 section 7).
	MaxPPPoEMTU = 1500
	// MinPPPoEMTU is the least IPv4 datagram every host must accept (RFC 791).
	MinPPPoEMTU = 576

	// MacvlanSuffix names the session's macvlan child (TUN name + suffix).
	MacvlanSuffix = "-mv"
	// MaxTUNName is the longest TUN name: Linux allows 15 characters for
	// an interface name and the macvlan child adds MacvlanSuffix.
	MaxTUNName = 15 - len(MacvlanSuffix)

	MinEchoInterval = time.Second
	MaxEchoInterval = 10 * time.Minute
	MaxEchoFailures = 100
	// MinEchoProbeInterval: probes closer than this would take a busy
	// link's queueing delay for a dead peer.
	MinEchoProbeInterval = 200 * time.Millisecond
)

// CheckMTU judges pppoe.mtu (--mtu).
func CheckMTU(mtu int) error {
	switch {
	case mtu > MaxPPPoEMTU:
		return msg.Err(msg.T("%d is larger than %d (1492 over Ethernet, 1500 with RFC 4638); use %d for NTT FLET'S",
			"%d は上限 %d を超えています（イーサネットでは 1492、RFC 4638 で 1500）。NTT フレッツなら %d にしてください", mtu, MaxPPPoEMTU, DefaultPPPoEMTU))
	case mtu < MinPPPoEMTU:
		return msg.Err(msg.T("%d is smaller than %d, the least every IPv4 host must accept; use %d for NTT FLET'S",
			"%d は %d（すべての IPv4 ホストが受け取れる最小値）より小さすぎます。NTT フレッツなら %d にしてください", mtu, MinPPPoEMTU, DefaultPPPoEMTU))
	}
	return nil
}

// CheckTable judges pppoe.table (--table).
func CheckTable(table int) error {
	switch {
	case table == 253 || table == 254 || table == 255:
		return msg.Err(msg.T("%d is reserved by Linux (253 default, 254 main, 255 local): pick a free number such as %d",
			"%d は Linux の予約済みの表です（253「default」、254「main」、255「local」）。%d など空いている番号にしてください", table, DefaultPPPoETable))
	case table < 1 || table > 0x7fffffff:
		return msg.Err(msg.T("%d is not a routing table number (1-2147483647, not 253-255)",
			"%d は経路表の番号ではありません（1〜2147483647、253〜255 を除く）", table))
	}
	return nil
}

// CheckTUN judges pppoe.tun (--tun); lan is the LAN interface.
func CheckTUN(name, lan string) error {
	switch {
	case name == "":
		return msg.Err(msg.T("missing: name the TUN device, e.g. %s",
			"ありません。TUN デバイスの名前を書いてください（例 %s）", DefaultTUN))
	case len(name) > MaxTUNName:
		return msg.Err(msg.T("%q is longer than %d characters (Linux allows 15, and the session's macvlan adds %q)",
			"%q は %d 文字を超えています（Linux の上限は15文字で、セッションの macvlan が %q を付け足します）", name, MaxTUNName, MacvlanSuffix))
	case !validIfname(name):
		return msg.Err(msg.T("%q is not a valid interface name",
			"%q はインターフェース名として使えません", name))
	case name == lan:
		return msg.Err(msg.T("%q is the LAN interface: the TUN device needs its own name, e.g. %s",
			"%q は LAN インターフェースです。TUN デバイスには別の名前（例 %s）を付けてください", name, DefaultTUN))
	}
	return nil
}

// CheckAuth judges pppoe.auth (--auth).
func CheckAuth(auth string) error {
	switch auth {
	case "auto", "pap", "chap":
		return nil
	}
	return msg.Err(msg.T("%q is not an authentication method%s: use auto, pap or chap",
		"%q は認証方式ではありません%s。auto、pap、chap のどれかにしてください", auth, msg.DidYouMean(auth, []string{"auto", "pap", "chap"})))
}

// CheckEchoInterval judges pppoe.echo_interval (--echo-interval). The
// session also takes intervals below MinEchoInterval (its tests use them);
// above MaxEchoInterval it refuses them too.
func CheckEchoInterval(d time.Duration) error {
	switch {
	case d < MinEchoInterval:
		return msg.Err(msg.T("%s is too short: use at least %s (%s is usual)",
			"%s は短すぎます。%s 以上にしてください（通常は %s）", d, MinEchoInterval, DefaultEchoInterval))
	case d > MaxEchoInterval:
		return msg.Err(msg.T("%s is too long to notice a lost session: use at most 10m (%s is usual)",
			"%s では切断に気付くのが遅すぎます。10m 以下にしてください（通常は %s）", d, DefaultEchoInterval))
	}
	return nil
}

// CheckEchoProbeInterval judges pppoe.echo_probe_interval
// (--echo-probe-interval): from MinEchoProbeInterval to the echo interval.
func CheckEchoProbeInterval(d, interval time.Duration) error {
	switch {
	case d < MinEchoProbeInterval:
		return msg.Err(msg.T("%s is too short: use at least %s (%s is usual)",
			"%s は短すぎます。%s 以上にしてください（通常は %s）", d, MinEchoProbeInterval, DefaultEchoProbeInterval))
	case d > interval:
		return msg.Err(msg.T("%s is longer than echo_interval %s: probing after a silence must be faster than the keepalive (%s is usual)",
			"%s は echo_interval の %s より長いです。無応答のあとの確認はキープアライブより速くしてください（通常は %s）", d, interval, DefaultEchoProbeInterval))
	}
	return nil
}

// CheckEchoFailures judges pppoe.echo_failures (--echo-failures).
func CheckEchoFailures(n int) error {
	if n < 1 || n > MaxEchoFailures {
		return msg.Err(msg.T("%d is out of range: use 1-%d (%d is usual)",
			"%d は範囲外です。1〜%d にしてください（通常は %d）", n, MaxEchoFailures, DefaultEchoFailures))
	}
	return nil
}

// validIfname: a Linux interface name of at most 15 characters.
func validIfname(name string) bool {
	return name != "" && len(name) <= 15 && name != "." && name != ".." && !strings.ContainsAny(name, "/: \t\n")
}

// ApplyDefaults fills the keys left out (zero) with the defaults above.
func (p *PPPoE) ApplyDefaults() {
	if p.MTU == 0 {
		p.MTU = DefaultPPPoEMTU
	}
	if p.Table == 0 {
		p.Table = DefaultPPPoETable
	}
	if p.TUN == "" {
		p.TUN = DefaultTUN
	}
	if p.Auth == "" {
		p.Auth = DefaultPPPoEAuth
	}
	if p.EchoInterval == 0 {
		p.EchoInterval = DefaultEchoInterval
	}
	if p.EchoFailures == 0 {
		p.EchoFailures = DefaultEchoFailures
	}
	if p.EchoProbeInterval == 0 {
		p.EchoProbeInterval = DefaultEchoProbeInterval
	}
}

// pppoeLimits reports each pppoe value the session would refuse.
func (k *checker) pppoeLimits(p *PPPoE) {
	for _, c := range []struct {
		key string
		err error
	}{
		{"pppoe.mtu", CheckMTU(p.MTU)},
		{"pppoe.table", CheckTable(p.Table)},
		{"pppoe.tun", CheckTUN(p.TUN, k.c.Interface)},
		{"pppoe.auth", CheckAuth(p.Auth)},
		{"pppoe.echo_interval", CheckEchoInterval(p.EchoInterval)},
		{"pppoe.echo_failures", CheckEchoFailures(p.EchoFailures)},
		{"pppoe.echo_probe_interval", CheckEchoProbeInterval(p.EchoProbeInterval, p.EchoInterval)},
	} {
		if c.err != nil {
			k.errorT(c.key, msg.T("%v", "%v", c.err))
		}
	}
}
