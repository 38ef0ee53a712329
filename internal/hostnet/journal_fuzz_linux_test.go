package hostnet

import (
	"bytes"
	"testing"
)

// FuzzJournalRecords: a damaged journal file never panics the parser, and
// whatever it accepts yields only known change kinds from liveChanges.
func FuzzJournalRecords(f *testing.F) {
	f.Add([]byte(`{"id":0,"op":"open","netns":"NS(4:4026532000)","pid":42}
{"id":0,"op":"addr","link":"dp-ppp0","prefix":"203.0.113.7/32"}
{"id":1,"op":"rule","from":"203.0.113.7","table":4242,"priority":10000}
{"id":0,"op":"forget","forget":1}
{"id":2,"op":"sysctl","key":"net.ipv4.conf.dp-ppp0.rp_filter","old":"1","value":"2"}
{"id":3,"op":"nft","li`))
	f.Add([]byte("{\"op\":\"tun\",\"link\":\"x\"}\n\n{bad}\n{\"op\":\"macvlan\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := parseRecords(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for _, r := range liveChanges(rs) {
			if r.Op == "open" || r.Op == "forget" {
				t.Fatalf("liveChanges returned a %q record", r.Op)
			}
			_ = describe(r)
		}
	})
}
