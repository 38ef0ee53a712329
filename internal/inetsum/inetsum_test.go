package inetsum

import (
	"encoding/binary"
	"math/rand"
	"testing"
)

// The example of RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to
// ddf2 (folded), so the checksum is 220d.
func TestRFC1071Example(t *testing.T) {
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := Fold(Sum(0, b)); got != 0xddf2 {
		t.Fatalf("sum %#04x, want 0xddf2", got)
	}
	if got := Checksum(0, b); got != 0x220d {
		t.Fatalf("checksum %#04x, want 0x220d", got)
	}
}

// A real IPv4 header (from RFC 791 conventions; checksum b861 computed by
// hand) verifies to zero, and chaining pieces equals summing the whole.
func TestVerifyAndChain(t *testing.T) {
	hdr := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if got := Checksum(0, hdr); got != 0 {
		t.Fatalf("valid header verifies to %#04x, want 0", got)
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 1000; i++ {
		b := make([]byte, r.Intn(3000))
		r.Read(b)
		cut := r.Intn(len(b)/2+1) * 2 // pieces split on a word boundary
		if a, c := Checksum(0, b), Checksum(Sum(0, b[:cut]), b[cut:]); a != c {
			t.Fatalf("len %d cut %d: whole %#04x, chained %#04x", len(b), cut, a, c)
		}
		// Writing the checksum into a zeroed field makes the packet verify.
		if len(b) >= 4 && len(b)%2 == 0 {
			b[2], b[3] = 0, 0
			binary.BigEndian.PutUint16(b[2:], Checksum(0, b))
			if got := Checksum(0, b); got != 0 {
				t.Fatalf("len %d: packet with its checksum verifies to %#04x", len(b), got)
			}
		}
	}
}
