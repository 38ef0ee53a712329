package daemon

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/mape"
)

func TestLineFor(t *testing.T) {
	as := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	// A v6プラス host: link-local, ULA and IPv4 are skipped; the SLAAC
	// address's /56 gives the line (vector from package mape's tests).
	l := LineFor(mape.Builtin(), as("fe80::1", "fd00::10", "192.168.1.10", "240b:10:1234:56ab:1c2:3ff:fe45:6789"))
	if l == nil {
		t.Fatal("no line found")
	}
	if !strings.Contains(l.Provider, "v6プラス") || l.Prefix != "240b:10:1234:5600::/56" || l.SharedIPv4 != "106.72.18.52" ||
		l.PSID != 0x56 || l.PortCount != 240 || len(l.PortRanges) == 0 || l.PortRanges[0] != "5472-5487" {
		t.Errorf("line = %+v", l)
	}
	if l := LineFor(mape.Builtin(), as("2001:db8::10", "fe80::1")); l != nil {
		t.Errorf("documentation prefix matched a rule: %+v", l)
	}
}
