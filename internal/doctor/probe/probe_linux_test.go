package probe

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/internal/testpeer/umlac"
)

func dnsmasq(t *testing.T, ns *netnstest.NS, args ...string) *netnstest.Proc {
	t.Helper()
	dir := t.TempDir()
	base := []string{"--no-daemon", "--conf-file=/dev/null", "--interface=eth0", "--bind-interfaces",
		"--port=0", "--user=root", "--dhcp-leasefile=" + filepath.Join(dir, "leases"),
		"--pid-file=" + filepath.Join(dir, "pid"), "--log-facility=-"}
	return ns.Start("dnsmasq", append(base, args...)...)
}

func inNS(t *testing.T, ns *netnstest.NS, fn func() error) {
	t.Helper()
	if err := hostnet.InNamespace(ns.Name, fn); err != nil {
		t.Fatal(err)
	}
}

func TestDHCPOffersRealDnsmasq(t *testing.T) {
	netnstest.RequireCommand(t, "dnsmasq")
	l := netnstest.NewLAN(t)
	ipoe := l.Host("ipoe", "192.168.1.1/24")
	doc := l.Host("doc")
	dnsmasq(t, ipoe, "--dhcp-range=192.168.1.100,192.168.1.200,12h")

	var offers []Offer
	// dnsmasq may need a moment to start; the probe itself waits 4 s.
	netnstest.WaitFor(10*time.Second, func() bool {
		inNS(t, doc, func() (err error) {
			offers, err = DHCPOffers(context.Background(), "eth0", 4*time.Second)
			return err
		})
		return len(offers) > 0
	})
	if len(offers) != 1 || offers[0].ServerIP.String() != "192.168.1.1" {
		t.Fatalf("one server: %+v", offers)
	}
	if !(offers[0].YourIP.Compare(netip.MustParseAddr("192.168.1.100")) >= 0) {
		t.Fatalf("offered address outside the range: %v", offers[0].YourIP)
	}

	// The article's mistake: the PPPoE router also runs DHCP.
	pppoeRouter := l.Host("pppoe", "192.168.1.2/24")
	dnsmasq(t, pppoeRouter, "--dhcp-range=192.168.1.20,192.168.1.50,12h")
	netnstest.WaitFor(10*time.Second, func() bool {
		inNS(t, doc, func() (err error) {
			offers, err = DHCPOffers(context.Background(), "eth0", 4*time.Second)
			return err
		})
		return len(offers) >= 2
	})
	var got []string
	for _, o := range offers {
		got = append(got, o.ServerIP.String())
	}
	if strings.Join(got, ",") != "192.168.1.1,192.168.1.2" && strings.Join(got, ",") != "192.168.1.2,192.168.1.1" {
		t.Fatalf("two servers, got %v", got)
	}
	out := pppoeRouter.MustRun("ip", "-br", "link", "show", "eth0")
	for _, o := range offers {
		if o.ServerIP.String() == "192.168.1.2" && !strings.Contains(out, o.ServerMAC.String()) {
			t.Fatalf("server MAC %v is not the PPPoE router's (%s)", o.ServerMAC, out)
		}
	}
}

func TestARPClaimsDuplicateRouter(t *testing.T) {
	l := netnstest.NewLAN(t)
	r1 := l.Host("r1", "192.168.1.1/24")
	l.Host("srv", "192.168.1.10/24")
	doc := l.Host("doc")
	target, server, free := netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("192.168.1.10"), netip.MustParseAddr("192.168.1.77")
	probe := func() map[netip.Addr][]ARPAnswer {
		var got map[netip.Addr][]ARPAnswer
		inNS(t, doc, func() (err error) {
			got, err = ARPClaims(context.Background(), "eth0", []netip.Addr{target, server, free}, time.Second)
			return err
		})
		return got
	}
	got := probe()
	if len(got[target]) != 1 || len(got[server]) != 1 || len(got[free]) != 0 {
		t.Fatalf("one owner each: %+v", got)
	}
	if out := r1.MustRun("ip", "-br", "link", "show", "eth0"); !strings.Contains(out, got[target][0].MAC.String()) {
		t.Fatalf("owner MAC %v is not r1's: %s", got[target][0].MAC, out)
	}
	// The article's mistake: both routers on 192.168.1.1.
	l.Host("r2", "192.168.1.1/24")
	got = probe()
	if len(got[target]) != 2 {
		t.Fatalf("duplicate address: want two MACs, got %+v", got[target])
	}
}

func TestRouterAdvertsRealDnsmasq(t *testing.T) {
	netnstest.RequireCommand(t, "dnsmasq")
	l := netnstest.NewLAN(t)
	doc := l.Host("doc")
	var ras []RouterAdvert
	inNS(t, doc, func() (err error) {
		ras, err = RouterAdverts(context.Background(), "eth0", 1500*time.Millisecond)
		return err
	})
	if len(ras) != 0 {
		t.Fatalf("no router yet, got %+v", ras)
	}
	r := l.Host("ipoe", "2001:db8:12:3400::1/64")
	netnstest.WaitFor(5*time.Second, func() bool {
		out, _ := r.Run("ip", "-6", "addr", "show", "dev", "eth0", "scope", "link")
		return strings.Contains(out, "fe80") && !strings.Contains(out, "tentative")
	})
	dnsmasq(t, r, "--enable-ra", "--dhcp-range=::,constructor:eth0,ra-only,64,12h")
	netnstest.WaitFor(15*time.Second, func() bool {
		inNS(t, doc, func() (err error) {
			ras, err = RouterAdverts(context.Background(), "eth0", 3*time.Second)
			return err
		})
		return len(ras) > 0
	})
	if len(ras) != 1 || !ras[0].Source.IsLinkLocalUnicast() || ras[0].Lifetime == 0 {
		t.Fatalf("RA: %+v", ras)
	}
	found := false
	for _, p := range ras[0].Prefixes {
		found = found || p.Prefix.String() == "2001:db8:12:3400::/64"
	}
	if !found {
		t.Fatalf("RA lacks the prefix: %+v", ras[0].Prefixes)
	}
}

// TestPPPoEOffersRealAC asks rp-pppoe's pppoe-server (the discovery half of
// a real AC; it would start pppd only after a PADR, which the probe never
// sends) and checks "none" on a LAN without an AC.
func TestPPPoEOffersRealAC(t *testing.T) {
	netnstest.RequireCommand(t, "pppoe-server")
	l := netnstest.NewLAN(t)
	doc := l.Host("doc")
	var acs []AccessConcentrator
	inNS(t, doc, func() (err error) {
		acs, err = PPPoEOffers(context.Background(), "eth0", 1500*time.Millisecond)
		return err
	})
	if len(acs) != 0 {
		t.Fatalf("no AC: got %+v", acs)
	}
	ac := l.Host("ac")
	ac.MustRun("pppoe-server", "-I", "eth0", "-C", "rlab-ac", "-S", "rlab-svc", "-X", filepath.Join(t.TempDir(), "pid"))
	netnstest.WaitFor(10*time.Second, func() bool {
		inNS(t, doc, func() (err error) {
			acs, err = PPPoEOffers(context.Background(), "eth0", 2*time.Second)
			return err
		})
		return len(acs) > 0
	})
	if len(acs) != 1 || acs[0].Name != "rlab-ac" || len(acs[0].ServiceNames) != 1 || acs[0].ServiceNames[0] != "rlab-svc" {
		t.Fatalf("AC: %+v", acs)
	}
	if out := ac.MustRun("ip", "-br", "link", "show", "eth0"); !strings.Contains(out, acs[0].MAC.String()) {
		t.Fatalf("AC MAC %v not the AC's: %s", acs[0].MAC, out)
	}
}

// TestPPPoEOffersUMLAC asks a whole real AC — pppd + rp-pppoe in User-Mode
// Linux (package umlac) — and checks that the probe lists it and that no
// pppd session was started (the probe never sends PADR).
func TestPPPoEOffersUMLAC(t *testing.T) {
	ac := umlac.Start(t, umlac.PAP)
	var acs []AccessConcentrator
	netnstest.WaitFor(20*time.Second, func() bool {
		inNS(t, ac.ClientNS, func() (err error) {
			acs, err = PPPoEOffers(context.Background(), umlac.ClientIf, 2*time.Second)
			return err
		})
		return len(acs) > 0
	})
	if len(acs) != 1 || acs[0].Name != umlac.ACName || !slices.Contains(acs[0].ServiceNames, umlac.ServiceName) {
		t.Fatalf("AC: %+v", acs)
	}
	out := ac.MustCtl("pidof pppd || echo no-pppd")
	if !strings.Contains(out, "no-pppd") {
		t.Fatalf("a pppd session started after the probe: %s", out)
	}
}
