package daemon

import (
	"encoding/json"
	"io"
	"testing"
	"time"
)

// FuzzDecodeStatus feeds arbitrary bytes, as read from the status socket, to
// the decoder and the text printer: neither may panic.
func FuzzDecodeStatus(f *testing.F) {
	b, _ := json.Marshal(NewState("dev").Snapshot())
	f.Add(b)
	f.Add([]byte(`{"session":{"state":"up","uptime_seconds":-5,"up_since":"2026-01-01T00:00:00Z"},"line":{"port_ranges":["1-2"]},"dns":[{"next_keepalive":"0001-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"session":{"rx_bytes":18446744073709551615},"started":"9999-12-31T23:59:59Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeStatus(data)
		if err != nil {
			return
		}
		s.WriteText(io.Discard, time.Unix(1e9, 0))
	})
}
