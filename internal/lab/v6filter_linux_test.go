package lab

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// The router's IPv6 filter loads, starts closed, and the hole the set-up
// opens is exactly the exposed ports at the server's stable address.
func TestIPv6FilterRulesLoad(t *testing.T) {
	netnstest.RequireCommand(t, "nft")
	ns := netnstest.New(t, "hgw")
	p := filepath.Join(t.TempDir(), "f.nft")
	if err := os.WriteFile(p, []byte(v6FilterRules("br-wan", "br-lan")), 0o644); err != nil {
		t.Fatal(err)
	}
	ns.MustRun("nft", "-f", p)
	list := func() string { return ns.MustRun("nft", "list", "set", "ip6", v6FilterTable, "exposed") }
	if got := parseFilterSet(list()); len(got) != 0 {
		t.Fatalf("the default filter lets in %v", got)
	}
	var elems []string
	for _, ap := range IPv6FilterHole() {
		elems = append(elems, ap.Addr().String()+" . "+strconv.Itoa(int(ap.Port())))
	}
	ns.MustRun("nft", "add", "element", "ip6", v6FilterTable, "exposed", "{ "+strings.Join(elems, ", ")+" }")
	got := parseFilterSet(list())
	if !slices.Equal(got, IPv6FilterHole()) || len(got) != len(ExposedTCP) {
		t.Fatalf("opened %v, want %v\n%s", got, IPv6FilterHole(), list())
	}
	ns.MustRun("nft", "flush", "set", "ip6", v6FilterTable, "exposed")
	if got := parseFilterSet(list()); len(got) != 0 {
		t.Fatalf("closed filter lets in %v", got)
	}
}
