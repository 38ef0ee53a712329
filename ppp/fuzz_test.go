package ppp

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Frames a real pppd access concentrator sends, built from the RFC formats
// (also checked in as corpus files under testdata/fuzz).
var pppdFrames = [][]byte{
	// LCP Configure-Request: MRU 1492, Auth PAP, Magic (RFC 1661 section 6)
	{0xc0, 0x21, 1, 1, 0, 18, 1, 4, 5, 0xd4, 3, 4, 0xc0, 0x23, 5, 6, 0x5a, 0x3b, 0x1c, 0x0d},
	// LCP Configure-Request: MRU 1492, Auth CHAP-MD5, Magic
	{0xc0, 0x21, 1, 2, 0, 19, 1, 4, 5, 0xd4, 3, 5, 0xc2, 0x23, 5, 5, 6, 0x5a, 0x3b, 0x1c, 0x0d},
	// LCP Echo-Request with magic
	{0xc0, 0x21, 9, 0, 0, 8, 0x5a, 0x3b, 0x1c, 0x0d},
	// LCP Terminate-Request "User request"
	{0xc0, 0x21, 5, 3, 0, 16, 'U', 's', 'e', 'r', ' ', 'r', 'e', 'q', 'u', 'e', 's', 't'},
	// PAP Authenticate-Ack "Login ok" (RFC 1334 section 2.2.2)
	{0xc0, 0x23, 2, 1, 0, 13, 8, 'L', 'o', 'g', 'i', 'n', ' ', 'o', 'k'},
	// CHAP Challenge, 16-byte value, name "rlab-ac" (RFC 1994 section 4.1)
	{0xc2, 0x23, 1, 1, 0, 28, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 'r', 'l', 'a', 'b', '-', 'a', 'c'},
	// CHAP Success
	{0xc2, 0x23, 3, 1, 0, 4},
	// CCP Configure-Request: MPPE, Deflate, BSD-Compress (RFC 1962)
	{0x80, 0xfd, 1, 1, 0, 15, 0x12, 6, 1, 0, 0, 0x40, 0x1a, 4, 0x78, 0, 0x15, 3, 0x2f},
	// IPCP Configure-Request: IP-Address 192.0.2.1 (RFC 1332 section 3.3)
	{0x80, 0x21, 1, 1, 0, 10, 3, 6, 192, 0, 2, 1},
	// IPCP Configure-Nak: address and DNS (RFC 1877)
	{0x80, 0x21, 3, 1, 0, 22, 3, 6, 192, 0, 2, 100, 129, 6, 192, 0, 2, 53, 131, 6, 192, 0, 2, 54},
	// IPv6CP Configure-Request: Interface-Identifier (RFC 5072 section 4.1)
	{0x80, 0x57, 1, 1, 0, 14, 1, 10, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55},
}

// FuzzParsePacket checks the control packet and option codec: no panics,
// and whatever decodes re-encodes to the same bytes.
func FuzzParsePacket(f *testing.F) {
	for _, fr := range pppdFrames {
		f.Add(fr[2:])
	}
	f.Add([]byte{1, 1, 0, 4})
	f.Add([]byte{1, 1, 0, 6, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			return
		}
		enc := p.Append(nil)
		if !bytes.Equal(enc, b[:p.Len()]) {
			t.Fatalf("re-encoded %x, input %x", enc, b)
		}
		opts, err := ParseOptions(p.Data)
		if err == nil {
			if got := AppendOptions(nil, opts); !bytes.Equal(got, p.Data) {
				t.Fatalf("options re-encoded %x, input %x", got, p.Data)
			}
		}
		parseCHAPValue(p.Data)
		parsePAPRequest(p.Data)
		papMessage(p.Data)
		ParseFrame(b)
	})
}

// FuzzConnInput feeds arbitrary frames to client and server Conns in
// several states (fresh, up, with and without IPv6CP) with timer ticks in
// between. Nothing may panic, every output frame must be well formed, no
// control packet may exceed the peer's MRU, and no event may carry the
// password.
//
// mode bit 0: server (else client); bit 1: bring the link up first; bit 2:
// IPv6CP enabled. data is a sequence of frames, each preceded by a length
// byte and a tick byte (seconds to advance the clock after the frame).
func FuzzConnInput(f *testing.F) {
	for mode := byte(0); mode < 8; mode++ {
		var seq []byte
		for _, fr := range pppdFrames {
			seq = append(seq, byte(len(fr)), mode)
			seq = append(seq, fr...)
		}
		f.Add(mode, seq)
	}
	f.Fuzz(fuzzConnInput)
}

func fuzzConnInput(t *testing.T, mode byte, data []byte) {
	{
		cc, sc := clientConfig(), serverConfig(AuthCHAP)
		if mode&4 != 0 {
			cc.IPv6CP, sc.IPv6CP = true, true
		}
		var c *Conn
		now := t0
		if mode&2 != 0 {
			w := upWire(t, cc, sc)
			now = w.now
			c = w.c
			if mode&1 != 0 {
				c = w.s
			}
		} else {
			cfg := cc
			if mode&1 != 0 {
				cfg = sc
			}
			var err error
			if c, err = NewConn(cfg); err != nil {
				t.Fatal(err)
			}
			c.Open(now)
		}
		check := func() {
			for _, out := range c.Output() {
				checkFrame(t, out)
				if len(out)-2 > c.peerMRU() && len(out)-2 > int(DefaultMRU) {
					t.Fatalf("frame of %d bytes exceeds peer MRU %d", len(out)-2, c.peerMRU())
				}
			}
			for _, e := range c.Events() {
				if strings.Contains(e.Reason, testPass) {
					t.Fatalf("password in event %v", e)
				}
			}
		}
		check()
		for len(data) >= 2 {
			n, tick := int(data[0]), time.Duration(data[1]%16)*time.Second
			data = data[2:]
			if n > len(data) {
				n = len(data)
			}
			c.Input(now, data[:n])
			data = data[n:]
			check()
			if tick > 0 {
				now = now.Add(tick)
				if d := c.NextDeadline(); !d.IsZero() && !now.Before(d) {
					c.Tick(now)
				}
				check()
			}
		}
	}
}
