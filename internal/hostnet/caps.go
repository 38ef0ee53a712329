package hostnet

import (
	"os"
	"strconv"
	"strings"
)

// Capability bits (linux/capability.h).
const (
	CapNetAdmin = 12
	CapNetRaw   = 13
)

// Caps is a capability set, bit n for capability n.
type Caps uint64

// Has reports whether every capability in caps is in the set.
func (c Caps) Has(caps ...int) bool {
	for _, n := range caps {
		if c&(1<<n) == 0 {
			return false
		}
	}
	return true
}

// ParseCapEff reads the effective set from the text of /proc/PID/status
// (the "CapEff:" line, hexadecimal); ok is false when it has none or it
// does not parse.
func ParseCapEff(status string) (c Caps, ok bool) {
	for _, line := range strings.Split(status, "\n") {
		if v, found := strings.CutPrefix(line, "CapEff:"); found {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0, false
			}
			return Caps(n), true
		}
	}
	return 0, false
}

// EffectiveCaps is this process's effective capability set; ok is false
// where /proc/self/status does not say (not Linux, no /proc).
func EffectiveCaps() (Caps, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	return ParseCapEff(string(b))
}
