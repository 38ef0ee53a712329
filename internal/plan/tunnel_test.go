package plan

import (
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// With a fixed-IP tunnel the router checklist gains the IPv6 filter entry
// for IPv4-in-IPv6 from the BR, in both languages.
func TestChecklistForATunnel(t *testing.T) {
	c := twoRouters()
	c.Plan.Mode, c.Plan.PPPoERouter = ModeServerPPPoE, ""
	c.Tunnel = &config.Tunnel{BR: "2001:db8:ffff::1", TUN: "dp-ipip0"}
	p, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[msg.Lang][]string{
		msg.English:  {"next header 4 (IPv4-in-IPv6, \"IPIP\") from the BR 2001:db8:ffff::1", "line.inbound-ipv4", "`ufw allow in on dp-ipip0"},
		msg.Japanese: {"BR 2001:db8:ffff::1 からの次ヘッダー 4", "line.inbound-ipv4"},
	} {
		steps := checklistSteps(p, lang)
		for _, s := range want {
			if !strings.Contains(steps, s) {
				t.Errorf("%s: lacks %q:\n%s", lang, s, steps)
			}
		}
	}
	// without a tunnel, no such step
	c.Tunnel = nil
	p, _ = FromConfig(c)
	if steps := checklistSteps(p, msg.English); strings.Contains(steps, "next header 4") {
		t.Error("a tunnel step without a tunnel")
	}
}
