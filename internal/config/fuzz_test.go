package config

import (
	"testing"
)

// FuzzParse feeds arbitrary bytes to the strict decoder, then validation
// (without looking at the host) and the summary: none of them may panic, and
// every error must carry the file name.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("interface: eth0\npppoe:\n  username: u\n  mtu: 9000\n"))
	f.Add([]byte("expose:\n  tcp: &p [80, 443]\n  udp: *p\n"))
	f.Add([]byte("ddns:\n  - provider: mydns\n    ipv4: static:203.0.113.7\n    interval: 1h\n"))
	f.Add([]byte("a: [\n"))
	f.Add([]byte("---\n...\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatal("error and a config")
			}
			if e := err.Error(); len(e) < len("fuzz.yaml") || e[:len("fuzz.yaml")] != "fuzz.yaml" {
				t.Fatalf("error without the file name: %q", e)
			}
			return
		}
		_ = c.validate(validateOpts{})
		_ = c.Summary()
		_ = c.Position("pppoe.mtu")
		_ = c.Errorf("ddns[0].provider", "x").Error()
	})
}
