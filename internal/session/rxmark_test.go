package session

import (
	"testing"

	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/pppoe"
)

// sessionFrame builds a PPPoE session frame (RFC 2516 section 4) carrying
// an IPv4 packet of n bytes.
func sessionFrame(dst, src pppoe.MAC, id uint16, n int) []byte {
	f := ethFrame(dst, src, pppoe.EtherTypeSession, []byte{0x11, 0, byte(id >> 8), byte(id), byte((n + 2) >> 8), byte(n + 2), 0x00, 0x21})
	pkt := make([]byte, n)
	if n > 0 {
		pkt[0] = 0x45
	}
	return append(f, pkt...)
}

func TestRxMarksNote(t *testing.T) {
	ac := pppoe.MAC{2, 0, 0, 0, 0, 1}
	alice := pppoe.MAC{2, 0, 0, 0, 0, 0xa}
	bob := pppoe.MAC{2, 0, 0, 0, 0, 0xb}
	m := new(rxMarks)
	ra, rb := &rxMark{peer: alice}, &rxMark{peer: bob}
	m[7].Store(ra)
	m[8].Store(rb)
	padt := ethFrame(ac, alice, pppoe.EtherTypeDiscovery, []byte{0x11, 0xa7, 0, 7, 0, 0})
	for _, tc := range []struct {
		name   string
		frame  []byte
		marked *rxMark
	}{
		{"alice's session", sessionFrame(ac, alice, 7, 84), ra},
		{"bob's session", sessionFrame(ac, bob, 8, 84), rb},
		{"alice's MAC with bob's ID", sessionFrame(ac, alice, 8, 84), nil},
		{"unknown session", sessionFrame(ac, alice, 9, 84), nil},
		{"discovery frame", padt, nil},
		{"truncated", sessionFrame(ac, alice, 7, 84)[:19], nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m.note(tc.frame)
			for _, r := range []*rxMark{ra, rb} {
				if got := r.seen.Swap(false); got != (r == tc.marked) {
					t.Errorf("session of %v marked %v", r.peer, got)
				}
			}
		})
	}
}

// FuzzRxMarksNote: any frame from the wire is safe to look at; it marks the
// session whose ID and client MAC it carries, and no other.
func FuzzRxMarksNote(f *testing.F) {
	ac := pppoe.MAC{2, 0, 0, 0, 0, 1}
	alice := pppoe.MAC{2, 0, 0, 0, 0, 0xa}
	f.Add(sessionFrame(ac, alice, 7, 20))
	f.Add(sessionFrame(ac, alice, 8, 0))
	f.Add(ethFrame(ac, alice, pppoe.EtherTypeDiscovery, []byte{0x11, 0xa7, 0, 7, 0, 0}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		m := new(rxMarks)
		r := &rxMark{peer: alice}
		m[7].Store(r)
		m.note(frame)
		marked := r.seen.Load()
		// Every frame the data plane accepts for the session counts.
		if in, reason := dataplane.ParseSessionFrame(frame); reason == 0 && in.SessionID == 7 && in.Src == [6]byte(alice) && !marked {
			t.Fatalf("frame of session 7 from %v not marked: %x", alice, frame)
		}
		// Malformed ones count too (as ppp.Conn.Input does), but only
		// with the session's EtherType, code 0, ID and client MAC.
		if marked && (len(frame) < 20 || frame[12] != 0x88 || frame[13] != 0x64 || frame[15] != 0 ||
			frame[16] != 0 || frame[17] != 7 || [6]byte(frame[6:12]) != [6]byte(alice)) {
			t.Fatalf("marked for a frame not of session 7 from %v: %x", alice, frame)
		}
	})
}

// BenchmarkRxMarksNote measures the per-frame cost the AC's liveness
// marking adds to the data plane's receive loop ("mark"), next to the data
// plane's own parsing of the same frame ("baseline-parse") in the same run.
func BenchmarkRxMarksNote(b *testing.B) {
	ac := pppoe.MAC{2, 0, 0, 0, 0, 1}
	alice := pppoe.MAC{2, 0, 0, 0, 0, 0xa}
	frame := sessionFrame(ac, alice, 7, 1400)
	m := new(rxMarks)
	m[7].Store(&rxMark{peer: alice})
	b.Run("mark", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m.note(frame)
		}
	})
	b.Run("baseline-parse", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dataplane.ParseSessionFrame(frame)
		}
	})
}
