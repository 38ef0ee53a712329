package netnstest

import (
	"testing"
	"time"
)

// TestLANHostsReachEachOther: hosts on one segment talk through the bridge.
func TestLANHostsReachEachOther(t *testing.T) {
	l := NewLAN(t)
	a := l.Host("la", "10.99.2.1/24")
	l.Host("lb", "10.99.2.2/24")
	l.Host("lc", "10.99.2.3/24")
	for _, to := range []string{"10.99.2.2", "10.99.2.3"} {
		if !WaitFor(5*time.Second, func() bool { _, err := a.Run("ping", "-c1", "-W1", to); return err == nil }) {
			t.Errorf("no ping from 10.99.2.1 to %s across the bridge", to)
		}
	}
}
