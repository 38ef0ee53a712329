package daemon

import (
	"testing"
	"time"
)

// The restart backoff doubles from the minimum up to the maximum, and
// starts over after a run that lasted longer than the maximum.
func TestRestartBackoff(t *testing.T) {
	b := restartBackoff{min: time.Second, max: 5 * time.Second}
	var got []time.Duration
	for _, ran := range []time.Duration{0, 0, 0, 0, 0, 6 * time.Second, 0, 5 * time.Second} {
		got = append(got, b.after(ran))
	}
	want := []time.Duration{1, 2, 4, 5, 5, 1, 2, 4}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("waits %v, want %v seconds", got, want)
		}
	}
}
