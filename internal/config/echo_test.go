package config

import (
	"strings"
	"testing"
	"time"
)

// The keepalive's probe interval: default 1 s, refused beyond the echo
// interval or below 200 ms, with the key named.
func TestEchoProbeInterval(t *testing.T) {
	base := "interface: eth0\npppoe:\n  username: u@example.jp\n"
	c, err := Parse("a.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.PPPoE.EchoProbeInterval != time.Second || c.PPPoE.EchoInterval != 10*time.Second || c.PPPoE.EchoFailures != 3 {
		t.Fatalf("defaults: %+v", c.PPPoE)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"  echo_interval: 5s\n  echo_probe_interval: 6s\n", "longer than echo_interval"},
		{"  echo_probe_interval: 100ms\n", "too short"},
	} {
		c, err := Parse("b.yaml", []byte(base+tc.yaml))
		if err == nil {
			err = c.validate(validateOpts{getenv: func(string) string { return "pw" }})
		}
		if err == nil || !strings.Contains(err.Error(), "pppoe.echo_probe_interval") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want pppoe.echo_probe_interval: ...%s", tc.yaml, err, tc.want)
		}
	}
}
