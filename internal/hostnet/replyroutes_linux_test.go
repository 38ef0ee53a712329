package hostnet

import (
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestReplyRoutesFollowTheAddresses: a /29 block, then one address, then
// another, then none: the TUN's addresses and the rules are always exactly
// the wanted ones, and UndoAll leaves the namespace as found.
func TestReplyRoutesFollowTheAddresses(t *testing.T) {
	ns := netnstest.New(t, "rr")
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1") // no dummy module here
	ns.MustRun("ip", "link", "set", "d0", "up")
	before := hostState(t, ns)
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	r := &ReplyRoutes{J: j, TUN: "d0", Table: 4242, Priority: 10000}
	if err := r.Setup(); err != nil {
		t.Fatal(err)
	}
	ruleRE := regexp.MustCompile(`10000:\s+from (\S+) lookup 4242`)
	addrRE := regexp.MustCompile(`inet (\S+)/32`)
	seen := func(re *regexp.Regexp, out string) []string {
		var got []string
		for _, m := range re.FindAllStringSubmatch(out, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		return got
	}
	block := func(p string) []netip.Addr {
		var as []netip.Addr
		pp := netip.MustParsePrefix(p)
		for a := pp.Addr(); pp.Contains(a); a = a.Next() {
			as = append(as, a)
		}
		return as
	}
	for _, want := range [][]netip.Addr{
		block("203.0.113.8/29"),
		{netip.MustParseAddr("203.0.113.9")},
		{netip.MustParseAddr("198.51.100.4")},
		block("198.51.100.4/31"),
		nil,
	} {
		if err := r.Set(want); err != nil {
			t.Fatal(err)
		}
		var ws []string
		for _, a := range want {
			ws = append(ws, a.String())
		}
		slices.Sort(ws)
		rules := seen(ruleRE, ns.MustRun("ip", "rule", "show"))
		addrs := seen(addrRE, ns.MustRun("ip", "-o", "addr", "show", "dev", "d0"))
		if strings.Join(rules, ",") != strings.Join(ws, ",") || strings.Join(addrs, ",") != strings.Join(ws, ",") {
			t.Errorf("want %v: rules %v, addresses %v", ws, rules, addrs)
		}
		// (with no IPv4 address left the kernel drops the device's routes)
		if out := ns.MustRun("ip", "route", "show", "table", "4242"); len(want) > 0 && !strings.Contains(out, "default dev d0") {
			t.Errorf("table 4242: %q", out)
		}
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if after := hostState(t, ns); after != before {
		t.Errorf("not left as found:\n%s\nvs\n%s", after, before)
	}
}

// TestEndpointAddressIsDeprecatedAndNoDAD: usable at once, never a default
// source.
func TestEndpointAddressIsDeprecatedAndNoDAD(t *testing.T) {
	ns := netnstest.New(t, "ep")
	ns.MustRun("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1") // no dummy module here
	ns.MustRun("ip", "link", "set", "d0", "up")
	j := openIn(t, ns, filepath.Join(t.TempDir(), "journal"))
	if err := j.AddEndpointAddress("d0", netip.MustParseAddr("2001:db8:1:2:c6:3364:7b00:0")); err != nil {
		t.Fatal(err)
	}
	out := ns.MustRun("ip", "-6", "addr", "show", "dev", "d0")
	if !strings.Contains(out, "2001:db8:1:2:c6:3364:7b00:0/128") || !strings.Contains(out, "deprecated") ||
		!strings.Contains(out, "nodad") || strings.Contains(out, "tentative") {
		t.Errorf("address: %s", out)
	}
	if err := j.UndoAll(); err != nil {
		t.Fatal(err)
	}
	if out := ns.MustRun("ip", "-6", "addr", "show", "dev", "d0"); strings.Contains(out, "2001:db8:1:2") {
		t.Errorf("left behind: %s", out)
	}
}
