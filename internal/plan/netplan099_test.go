package plan

import (
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
	"gopkg.in/yaml.v3"
)

// netplan099Keys is the key set netplan 0.99 (Ubuntu 18.04's netplan.io)
// accepts in the places `plan` writes, by context. It was read from
// canonical/netplan at tag 0.99 (commit 1ccf7e0e3a7a), src/parse.c:
// root_handlers, network_handlers, COMMON_LINK_HANDLERS +
// PHYSICAL_LINK_HANDLERS (ethernet_def_handlers), nameservers_handlers and
// routes_handlers; doc/netplan.md at that tag documents the same keys. Keys
// added later (e.g. `to: default`, accepted from 0.103) are not here, so a
// generated file that uses them fails this test.
var netplan099Keys = map[string][]string{
	"root":        {"network"},
	"network":     {"bonds", "bridges", "ethernets", "renderer", "tunnels", "version", "vlans", "wifis", "modems"},
	"ethernet":    {"accept-ra", "addresses", "critical", "dhcp4", "dhcp6", "dhcp-identifier", "dhcp4-overrides", "dhcp6-overrides", "gateway4", "gateway6", "ipv6-address-generation", "ipv6-mtu", "ipv6-privacy", "link-local", "macaddress", "mtu", "nameservers", "optional", "optional-addresses", "renderer", "routes", "routing-policy", "networkmanager", "match", "set-name", "wakeonlan", "wakeonwlan", "emit-lldp", "auth", "link", "virtual-function-count"},
	"nameservers": {"search", "addresses"},
	"route":       {"from", "on-link", "scope", "table", "to", "type", "via", "metric"},
}

// check099 walks a generated netplan document and returns every key that
// netplan 0.99 would reject, as "path: key", plus route destinations 0.99
// cannot parse (anything but an address or address/prefix).
func check099(t *testing.T, doc []byte) []string {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		t.Fatalf("generated netplan is not YAML: %v\n%s", err, doc)
	}
	var bad []string
	allowed := func(ctx string) map[string]bool {
		m := map[string]bool{}
		for _, k := range netplan099Keys[ctx] {
			m[k] = true
		}
		return m
	}
	var walk func(n *yaml.Node, ctx, path string)
	walk = func(n *yaml.Node, ctx, path string) {
		if n.Kind == yaml.DocumentNode {
			walk(n.Content[0], ctx, path)
			return
		}
		if n.Kind != yaml.MappingNode {
			t.Fatalf("%s: want a mapping, got %v", path, n.Kind)
		}
		ok := allowed(ctx)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if !ok[k] {
				bad = append(bad, path+": "+k)
				continue
			}
			switch {
			case ctx == "root":
				walk(v, "network", k)
			case ctx == "network" && k == "ethernets":
				for j := 0; j+1 < len(v.Content); j += 2 {
					walk(v.Content[j+1], "ethernet", path+".ethernets."+v.Content[j].Value)
				}
			case ctx == "ethernet" && k == "nameservers":
				walk(v, "nameservers", path+".nameservers")
			case ctx == "ethernet" && k == "routes":
				for _, r := range v.Content {
					walk(r, "route", path+".routes[]")
				}
			case ctx == "route" && (k == "to" || k == "via" || k == "from"):
				if !strings.ContainsAny(v.Value, ".:") {
					bad = append(bad, path+"."+k+": "+v.Value+" (0.99 takes only addr or addr/prefixlen)")
				}
			}
		}
	}
	walk(&root, "root", "")
	return bad
}

func TestNetplanUsesOnly099Keys(t *testing.T) {
	two := twoRouters()
	one := twoRouters()
	one.Plan.Mode, one.Plan.PPPoERouter = ModeServerPPPoE, ""
	for _, c := range []struct {
		name string
		cfg  func() *Plan
	}{
		{"two-routers", func() *Plan { p, err := FromConfig(two); must(t, err); return p }},
		{"server-pppoe", func() *Plan { p, err := FromConfig(one); must(t, err); return p }},
	} {
		for _, lang := range []msg.Lang{msg.English, msg.Japanese} {
			t.Run(c.name+"/"+lang.String(), func(t *testing.T) {
				y := Netplan(c.cfg(), lang)
				if bad := check099(t, y); len(bad) > 0 {
					t.Fatalf("keys netplan 0.99 rejects: %v\n%s", bad, y)
				}
				netplanGenerate(t, y) // and today's netplan takes it too
			})
		}
	}
	// The check can fail: the form netplan 0.103 introduced is refused.
	if bad := check099(t, []byte("network:\n  version: 2\n  ethernets:\n    e:\n      routes:\n        - to: default\n          via: 192.168.1.2\n")); len(bad) != 1 {
		t.Fatalf("to: default not caught: %v", bad)
	}
	if bad := check099(t, []byte("network:\n  version: 2\n  ethernets:\n    e:\n      link-local: []\n      ipv6-address-token: ::10\n")); len(bad) != 1 {
		t.Fatalf("later key not caught: %v", bad)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
