package lab

import (
	"testing"
	"time"
)

// A scan seen during a fault (from its start until the drill is steady
// again) is that fault's; one seen before, after or between faults is
// nobody's, and says so.
func TestFaultAt(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	faults := []FaultResult{{N: 1, start: at(10), end: at(40)}, {N: 2, start: at(42), end: at(70)}}
	for _, c := range []struct{ s, want int }{{0, 0}, {10, 1}, {25, 1}, {40, 1}, {41, 0}, {42, 2}, {70, 2}, {90, 0}} {
		if got := faultAt(faults, at(c.s)); got != c.want {
			t.Errorf("at %d s: fault %d, want %d", c.s, got, c.want)
		}
	}
	if w := (Violation{}).when(); w.EN != "between faults" || w.JA != "障害の合間" {
		t.Errorf("fault 0 reads %+v", w)
	}
	if w := (Violation{Fault: 2}).when(); w.EN != "fault 2" {
		t.Errorf("fault 2 reads %+v", w)
	}
}
