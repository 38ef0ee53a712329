package session

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// The typed event becomes the JSON line of `dualpath pppoe --events json`
// only in MarshalJSON: the same keys as ever, empty values left out.
func TestEventJSON(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{Event{Kind: KindUp, Time: at, Interface: "eth0", Address: netip.MustParseAddr("203.0.113.7"), Peer: netip.MustParseAddr("203.0.113.1"),
			DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("192.0.2.54")}, MTU: 1454},
			`{"event":"up","time":"2026-11-25T12:00:00Z","interface":"eth0","address":"203.0.113.7","peer":"203.0.113.1","dns":["192.0.2.53","192.0.2.54"],"mtu":1454}`},
		{Event{Kind: KindDown, Time: at, Reason: "PADT from the access concentrator", Cause: CausePADT, RetryIn: 4 * time.Second},
			`{"event":"down","time":"2026-11-25T12:00:00Z","reason":"PADT from the access concentrator","cause":"padt","retry_in":"4s"}`},
		{Event{Kind: KindAuth, Time: at, State: "failed", Method: ppp.AuthCHAP, Reason: "wrong", Cause: CauseAuth},
			`{"event":"auth","time":"2026-11-25T12:00:00Z","state":"failed","method":"chap","reason":"wrong","cause":"auth"}`},
		{Event{Kind: KindSession, Time: at, ACMAC: pppoe.MAC{2, 0, 0x5e, 0x10, 0, 1}, SessionID: 0x1234, MaxPayload: 1492},
			`{"event":"session","time":"2026-11-25T12:00:00Z","ac_mac":"02:00:5e:10:00:01","session_id":4660,"max_payload":1492}`},
	} {
		b, err := json.Marshal(tc.ev)
		if err != nil || string(b) != tc.want {
			t.Errorf("got  %s (%v)\nwant %s", b, err, tc.want)
		}
	}
}
