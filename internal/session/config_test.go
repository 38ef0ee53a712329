package session

import (
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/ppp"
)

// withDefaults fills the values config owns the way a config file without
// those keys gets them: through config's defaults and ClientConfigFrom.
func withDefaults(c ClientConfig) ClientConfig {
	p := &config.PPPoE{MTU: c.MTU, TUN: c.TUN, Table: c.Table, EchoInterval: c.EchoInterval, EchoFailures: c.EchoFailures}
	p.ApplyDefaults()
	c.MTU, c.TUN, c.Table, c.EchoInterval, c.EchoFailures = p.MTU, p.TUN, p.Table, p.EchoInterval, p.EchoFailures
	if c.StateDir == "" {
		c.StateDir = config.DefaultStateDir
	}
	return c
}

// The session re-defaults nothing the config file owns: each zero value is
// refused with the name of the value.
func TestNewClientRefusesZeroValues(t *testing.T) {
	good := withDefaults(ClientConfig{Interface: "eth0", Username: "u", StateDir: t.TempDir()})
	if _, err := NewClient(good); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for name, zero := range map[string]func(*ClientConfig){
		"mtu":           func(c *ClientConfig) { c.MTU = 0 },
		"tun":           func(c *ClientConfig) { c.TUN = "" },
		"table":         func(c *ClientConfig) { c.Table = 0 },
		"echo interval": func(c *ClientConfig) { c.EchoInterval = 0 },
		"echo failures": func(c *ClientConfig) { c.EchoFailures = 0 },
		"state":         func(c *ClientConfig) { c.StateDir = "" },
		"interface":     func(c *ClientConfig) { c.Interface = "" },
		"user name":     func(c *ClientConfig) { c.Username = "" },
	} {
		c := good
		zero(&c)
		if _, err := NewClient(c); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("zero %s: %v, want an error naming it", name, err)
		}
	}
}

func TestClientConfigFrom(t *testing.T) {
	p := &config.PPPoE{Username: "u@example.jp", Service: "svc", ACName: "ac", Auth: "chap", MTU: 1500, TUN: "ppp9",
		Table: 77, EchoInterval: 3 * time.Second, EchoFailures: 5, Macvlan: true, DefaultRoute: true}
	c, err := ClientConfigFrom("enp1s0", "/var/lib/x", p, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	want := ClientConfig{Interface: "enp1s0", Username: "u@example.jp", Password: []byte("pw"), ServiceName: "svc", ACName: "ac",
		Auth: ppp.AuthCHAP, MTU: 1500, TUN: "ppp9", Table: 77, EchoInterval: 3 * time.Second, EchoFailures: 5,
		StateDir: "/var/lib/x", Macvlan: true, DefaultRoute: true}
	if c.Interface != want.Interface || c.Username != want.Username || string(c.Password) != "pw" || c.ServiceName != want.ServiceName ||
		c.ACName != want.ACName || c.Auth != want.Auth || c.MTU != want.MTU || c.TUN != want.TUN || c.Table != want.Table ||
		c.EchoInterval != want.EchoInterval || c.EchoFailures != want.EchoFailures || c.StateDir != want.StateDir ||
		c.Macvlan != want.Macvlan || c.DefaultRoute != want.DefaultRoute {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	p.Auth = "mschap"
	if _, err := ClientConfigFrom("enp1s0", "/x", p, nil); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("mschap: %v", err)
	}
}
