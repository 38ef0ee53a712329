package doctor

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/plan"
	"github.com/dualpath/dualpath/internal/termtext"
)

func routesPlan(t *testing.T, mode string) *plan.Plan {
	t.Helper()
	c := &config.Config{Interface: "eth0", Plan: &config.Plan{Mode: mode, Subnet: "192.168.1.0/24",
		Server: "192.168.1.10", IPoERouter: "192.168.1.1"}}
	if mode == plan.ModeTwoRouters {
		c.Plan.PPPoERouter = "192.168.1.2"
	}
	p, err := plan.FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoutesVerdict(t *testing.T) {
	ipoeMAC, _ := net.ParseMAC("02:00:00:00:00:01")
	pppoeMAC, _ := net.ParseMAC("02:00:00:00:00:02")
	v4 := func(gw string, metric int, mac net.HardwareAddr) DefaultRoute {
		return DefaultRoute{Interface: "eth0", Gateway: netip.MustParseAddr(gw), Metric: metric, MAC: mac}
	}
	v6 := func(gw string, mac net.HardwareAddr) DefaultRoute {
		r := v4(gw, 1024, mac)
		r.IPv6 = true
		return r
	}
	two := routesPlan(t, plan.ModeTwoRouters)
	one := routesPlan(t, plan.ModeServerPPPoE)
	routers := func(p *plan.Plan) []Router {
		rs := PlanRouters(p)
		rs[0].MAC = ipoeMAC
		if len(rs) > 1 {
			rs[1].MAC = pppoeMAC
		}
		return rs
	}
	for _, c := range []struct {
		name   string
		routes []DefaultRoute
		p      *plan.Plan
		want   Status
		subs   []string
		fix    string
	}{
		{"two-routers right", []DefaultRoute{v4("192.168.1.2", 0, pppoeMAC), v6("fe80::1", ipoeMAC)}, two, OK,
			[]string{"IPv4 via 192.168.1.2 on eth0 (the PPPoE router, 02:00:00:00:00:02)", "IPv6 via fe80::1 on eth0 (02:00:00:00:00:01: the IPoE router, by MAC)"}, ""},
		{"two-routers, IPv4 to the IPoE router", []DefaultRoute{v4("192.168.1.1", 0, ipoeMAC), v6("fe80::1", ipoeMAC)}, two, Fail,
			[]string{"the IPoE router"}, "mode two-routers sends IPv4 via the PPPoE router (192.168.1.2)"},
		{"the article's merge: two IPv4 defaults", []DefaultRoute{v4("192.168.1.2", 0, pppoeMAC), v4("192.168.1.1", 100, ipoeMAC), v6("fe80::1", ipoeMAC)}, two, Warn,
			[]string{"2 IPv4 default routes"}, "keep one IPv4 default route"},
		{"IPv6 via the PPPoE router, told by MAC", []DefaultRoute{v4("192.168.1.2", 0, pppoeMAC), v6("fe80::2", pppoeMAC)}, two, Fail,
			[]string{"the PPPoE router, by MAC"}, "IPv6 must leave via the IPoE router"},
		{"server-pppoe right", []DefaultRoute{v4("192.168.1.1", 100, ipoeMAC), v6("fe80::1", ipoeMAC)}, one, OK, []string{"the IPoE router"}, ""},
		{"server-pppoe via an unknown box", []DefaultRoute{v4("192.168.1.2", 100, pppoeMAC), v6("fe80::1", nil)}, one, Fail,
			[]string{"via 192.168.1.2 on eth0 (02:00:00:00:00:02)", "IPv6 via fe80::1 on eth0 (MAC unknown)"}, "mode server-pppoe sends IPv4 via the IPoE router"},
		{"no plan, no IPv6", []DefaultRoute{v4("192.168.1.1", 0, nil)}, nil, Warn, []string{"IPv4 via 192.168.1.1"}, "no IPv6 default route"},
		{"no IPv4 at all", []DefaultRoute{v6("fe80::1", nil)}, nil, Fail, []string{"no IPv4 default route"}, "gateway"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rs []Router
			if c.p != nil {
				rs = routers(c.p)
			}
			r := RoutesVerdict(c.routes, c.p, rs)
			if r.Status != c.want {
				t.Errorf("status %v, want %v: %s / %s", r.Status, c.want, r.Summary.EN, r.Fix.EN)
			}
			for _, s := range c.subs {
				if !strings.Contains(r.Summary.EN, s) {
					t.Errorf("summary lacks %q: %s", s, r.Summary.EN)
				}
			}
			if !strings.Contains(r.Fix.EN, c.fix) {
				t.Errorf("fix lacks %q: %s", c.fix, r.Fix.EN)
			}
			if r.Summary.JA == "" || r.Summary.JA == r.Summary.EN || (c.fix != "" && r.Fix.JA == "") {
				t.Errorf("Japanese missing: %+v", r)
			}
			for _, l := range strings.Split(msgWrap(r, msg.Japanese), "\n") {
				if termtext.DisplayWidth(l) > termtext.Width {
					t.Errorf("wider than 80: %q", l)
				}
			}
		})
	}
}

// msgWrap is the text report of one result, as doctor prints it.
func msgWrap(r Result, lang msg.Lang) string {
	var b strings.Builder
	_ = WriteText(&b, []Outcome{{ID: "host.default-routes", Group: GroupHost, Result: r}}, lang)
	return b.String()
}
