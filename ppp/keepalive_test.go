package ppp

import (
	"strings"
	"testing"
	"time"
)

// clientAlone advances only the client's clock from w.now to end (the
// server is frozen, dead or far away), feeding it a data frame (via
// NoteReceived, as a data plane does) at every instant data returns
// true for, and delivering nothing else. It returns when the client's link
// is down or end is reached.
func clientAlone(t *testing.T, w *wire, end time.Time, data func(time.Time) bool, dataStep time.Duration) {
	t.Helper()
	nextData := w.now.Add(dataStep)
	for i := 0; i < 100000; i++ {
		w.evC = append(w.evC, w.c.Events()...)
		for _, f := range w.c.Output() {
			checkFrame(t, f)
			w.fromC = append(w.fromC, f)
		}
		if _, down := findEvent(w.evC, EventDown); down {
			return
		}
		next := w.c.NextDeadline()
		if next.IsZero() {
			t.Fatal("no deadline while up")
		}
		if dataStep > 0 && nextData.Before(next) {
			w.now = nextData
			nextData = nextData.Add(dataStep)
			if data(w.now) {
				w.c.NoteReceived(w.now)
			}
			continue
		}
		if next.After(end) {
			return
		}
		w.now = next
		w.c.Tick(w.now)
	}
	t.Fatal("no progress")
}

func echoRequestsSince(frames [][]byte) int {
	n := 0
	for _, p := range controlPackets(frames, ProtoLCP) {
		if p.Code == CodeEchoRequest {
			n++
		}
	}
	return n
}

// TestKeepaliveSilentPeer: an access concentrator that stops sending
// anything is declared dead EchoInterval + EchoFailures*EchoProbeInterval
// (10 s + 3*1 s) after its last frame, well within the 15 s the daemon
// promises, after probes sent 1 s apart.
func TestKeepaliveSilentPeer(t *testing.T) {
	for _, phase := range []time.Duration{0, 3 * time.Second, 9900 * time.Millisecond} {
		w := upWire(t, clientConfig(), serverConfig(AuthPAP))
		// Let the link live for a while and then go silent at some
		// phase of the echo interval.
		w.run(time.Minute+phase, func() bool { return false })
		w.step()
		last := w.now
		w.fromC = nil
		clientAlone(t, w, w.now.Add(time.Minute), nil, 0)
		e, ok := findEvent(w.evC, EventEchoTimeout)
		if !ok {
			t.Fatalf("phase %v: no echo timeout: %v", phase, kinds(w.evC))
		}
		if el := w.now.Sub(last); el > 13*time.Second || el < 10*time.Second {
			t.Errorf("phase %v: declared dead %v after the last frame, want 10-13 s", phase, el)
		}
		if !strings.Contains(e.Reason, "3 LCP echo requests 1s apart unanswered") {
			t.Errorf("reason %q", e.Reason)
		}
		if n := echoRequestsSince(w.fromC); n < 3 || n > 4 {
			t.Errorf("%d echo requests while silent, want the 3 probes (and at most one periodic)", n)
		}
		if w.c.Up() || !w.c.NextDeadline().IsZero() {
			t.Errorf("after down: up %v, deadline %v", w.c.Up(), w.c.NextDeadline())
		}
		if k := kinds(w.evC); k[len(k)-1] != EventDown {
			t.Errorf("EventDown not last: %v", k)
		}
	}
}

// TestKeepaliveBusyLinkWithoutEchoReplies: a peer that drops every echo
// reply (as some BRAS do under load) while data flows keeps the link up
// for as long as data flows, whatever the data's phase against the echo
// timer; when data stops, the link is declared dead within 15 s.
func TestKeepaliveBusyLinkWithoutEchoReplies(t *testing.T) {
	for _, step := range []time.Duration{100 * time.Millisecond, 700 * time.Millisecond, 2 * time.Second} {
		w := upWire(t, clientConfig(), serverConfig(AuthPAP))
		start := w.now
		dataUntil := start.Add(5 * time.Minute)
		clientAlone(t, w, start.Add(10*time.Minute), func(at time.Time) bool { return at.Before(dataUntil) }, step)
		if _, ok := findEvent(w.evC, EventDown); !ok {
			t.Fatalf("data every %v: never went down after the data stopped", step)
		}
		if w.now.Before(dataUntil) {
			t.Fatalf("data every %v: down %v after start while data flowed for 5 min: %v", step, w.now.Sub(start), w.evC)
		}
		if el := w.now.Sub(dataUntil); el > 15*time.Second {
			t.Errorf("data every %v: down %v after the data stopped, want <= 15 s", step, el)
		}
	}
}

// TestKeepaliveFreezeShorterThanWindow: a peer silent for less than the
// echo window (10 s + 3 probes) that then answers keeps the link.
func TestKeepaliveFreezeShorterThanWindow(t *testing.T) {
	w := upWire(t, clientConfig(), serverConfig(AuthPAP))
	w.run(30*time.Second, func() bool { return false })
	w.step()
	thaw := w.now.Add(12 * time.Second)
	w.drop = func(fromClient bool, _ []byte) bool { return w.now.Before(thaw) }
	w.run(2*time.Minute, func() bool { return false })
	if !w.c.Up() {
		t.Fatalf("link went down after a 12 s freeze: %v", w.evC)
	}
	if _, ok := findEvent(w.evC, EventEchoTimeout); ok {
		t.Fatal("echo timeout after a 12 s freeze")
	}
	// And the probing really happened: more than one echo request in
	// the second after the idle interval ran out.
	if n := echoRequestsSince(w.fromC); n < 15 {
		t.Errorf("%d echo requests in 2 minutes", n)
	}
}
