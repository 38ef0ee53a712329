package ppp

import (
	"bytes"
	"encoding/hex"
	"math"
	"net/netip"
	"testing"
	"time"
)

// pppdTranscript is a PAP session between this package (client) and a real
// pppd 2.4.9 + rp-pppoe access concentrator (Debian bookworm, in User-Mode
// Linux), captured on 2026-11-25. ">" frames were sent by us, "<" frames by
// pppd; at is seconds since Open, with our timer-driven frames moved to the
// exact timer expiry (the capture loop polled every 100 ms). pppd started
// after PADS and missed our first Configure-Request; it offered CCP and
// IPv6CP (Protocol-Rejected) and VJ compression (Rejected).
var pppdTranscript = []struct {
	at    float64
	dir   string
	frame string
}{
	{0, ">", "c0210192000e010405ae0506b1d2de1e"},
	{1.09, "<", "c02101010012010405d40304c0230506b162e98a"},
	{1.09, ">", "c02102010012010405d40304c0230506b162e98a"},
	{3, ">", "c0210192000e010405ae0506b1d2de1e"}, // restart timer: same Identifier
	{3.04, "<", "c0210292000e010405ae0506b1d2de1e"},
	{3.04, ">", "c0230131001608726c61627573657208726c616270617373"},
	{3.04, "<", "c02109000008b162e98a"},
	{3.04, ">", "c0210a000008b1d2de1e"},
	{3.04, "<", "c0230231000d084c6f67696e206f6b"},
	{3.04, ">", "802101c60016030600000000810600000000830600000000"},
	{3.12, "<", "80fd0101000f1a0478001804780015032f"},
	{3.12, ">", "c0210843001580fd0101000f1a0478001804780015032f"},
	{3.12, "<", "8021010100100206002d0f010306c0000201"},
	{3.12, ">", "80210401000a0206002d0f01"},
	{3.12, "<", "80570101000e010ae9d70aa18d08a9a4"},
	{3.12, ">", "c0210844001480570101000e010ae9d70aa18d08a9a4"},
	{3.12, "<", "802103c600160306c00002648106c00002358306c0000236"},
	{3.12, ">", "802101c700160306c00002648106c00002358306c0000236"},
	{3.13, "<", "80210102000a0306c0000201"},
	{3.13, ">", "80210202000a0306c0000201"},
	{3.13, "<", "802102c700160306c00002648106c00002358306c0000236"},
	{8.04, ">", "c02109010008b1d2de1e"},
	{8.12, "<", "c0210a010008b162e98a"},
	{13.02, "<", "c02109010008b162e98a"},
	{13.02, ">", "c0210a010008b1d2de1e"},
	{13.04, ">", "c02109020008b1d2de1e"},
	{13.06, "<", "c0210a020008b162e98a"},
}

// TestPppdTranscript replays pppd's side of a captured session and checks
// that we answer byte for byte as we did against the real peer, with the
// same random bytes (identifiers, magic number, PAP identifier).
func TestPppdTranscript(t *testing.T) {
	cfg := clientConfig()
	cfg.Password = []byte("rlabpass")
	cfg.EchoInterval = 5 * time.Second
	// ctl id, LCP id, IPCP id, IPv6CP id, magic number, PAP id.
	cfg.Rand = bytes.NewReader([]byte{0x42, 0x91, 0xc5, 0x00, 0xb1, 0xd2, 0xde, 0x1e, 0x30})
	c, err := NewConn(cfg)
	if err != nil {
		t.Fatal(err)
	}
	replay(t, c, pppdTranscript)
	p := c.Negotiated()
	if !c.Up() || p.LocalIPv4.String() != "192.0.2.100" || p.PeerIPv4.String() != "192.0.2.1" || len(p.DNS) != 2 || p.MTU != 1492 {
		t.Errorf("params %+v", p)
	}
	// And the hang-up: Terminate-Request, pppd's Terminate-Ack, down.
	c.Events()
	end := t0.Add(15140 * time.Millisecond)
	c.Close(end, "interop test done")
	if out := c.Output(); len(out) != 1 || hex.EncodeToString(out[0]) != "c02105930015696e7465726f70207465737420646f6e65" {
		t.Fatalf("close sent %x", out)
	}
	c.Input(end, []byte{0xc0, 0x21, 0x06, 0x93, 0x00, 0x04})
	evs := c.Events()
	if len(evs) != 2 || evs[0].Kind != EventIPCPDown || evs[1].Kind != EventDown || evs[1].Reason != "interop test done" {
		t.Errorf("events %v", evs)
	}
}

// pppdClientTranscript is a CHAP session between this package as access
// concentrator (IPv6CP on, one DNS server) and a real pppd 2.4.9 client
// (rp-pppoe plugin, "+ipv6 usepeerdns"), captured like pppdTranscript. It
// proves our CHAP-MD5 challenge/verification against pppd's response.
var pppdClientTranscript = []struct {
	at    float64
	dir   string
	frame string
}{
	{0, ">", "c02101110013010405d40305c223050506fd1723e4"},
	{0, "<", "c0210101000e010405d4050611ebc10c"},
	{0, ">", "c0210201000e010405d4050611ebc10c"},
	{2.99, "<", "c0210101000e010405d4050611ebc10c"},
	{2.99, ">", "c0210201000e010405d4050611ebc10c"},
	{3, ">", "c02101110013010405d40305c223050506fd1723e4"},
	{3.01, "<", "c02102110013010405d40305c223050506fd1723e4"},
	{3.01, ">", "c22301b8001d10e4e94fc6a84ffc1bdaca97f7af9bc7fa6475616c70617468"},
	{3.01, "<", "c0210900000811ebc10c"},
	{3.01, ">", "c0210a000008fd1723e4"},
	{3.01, "<", "c22302b8001d102b0cfa0fbdcabfdf9af5ededd1a93bc3726c616275736572"},
	{3.01, ">", "c22303b8000b57656c636f6d65"},
	{3.01, ">", "8021010f000a0306c6336401"},
	{3.01, ">", "8057016f000e010a05d44c12c1128e42"},
	{3.01, "<", "802101010016030600000000810600000000830600000000"},
	{3.01, ">", "80210401000a830600000000"},
	{3.01, "<", "80570101000e010a4166c514df80f4cd"},
	{3.01, ">", "80570201000e010a4166c514df80f4cd"},
	{3.01, "<", "8021020f000a0306c6336401"},
	{3.01, "<", "8057026f000e010a05d44c12c1128e42"},
	{3.01, "<", "802101020010030600000000810600000000"},
	{3.01, ">", "8021030200100306c633644d8106c6336435"},
	{3.01, "<", "8021010300100306c633644d8106c6336435"},
	{3.01, ">", "8021020300100306c633644d8106c6336435"},
	{8.01, ">", "c02109010008fd1723e4"},
	{8.04, "<", "c0210a01000811ebc10c"},
	{12.9, "<", "c0210901000811ebc10c"},
	{12.9, ">", "c0210a010008fd1723e4"},
	{13.01, ">", "c02109020008fd1723e4"},
	{13.12, "<", "c0210a02000811ebc10c"},
}

// TestPppdClientTranscript replays the pppd client's side against our
// server role with the random bytes of the capture.
func TestPppdClientTranscript(t *testing.T) {
	cfg := serverConfig(AuthCHAP)
	cfg.Name = "dualpath"
	cfg.Secrets = func(u string) ([]byte, bool) { return []byte("rlabpass"), u == "rlabuser" }
	cfg.LocalIPv4 = netip.MustParseAddr("198.51.100.1")
	cfg.AssignIPv4 = func() (netip.Addr, bool) { return netip.MustParseAddr("198.51.100.77"), true }
	cfg.DNS = []netip.Addr{netip.MustParseAddr("198.51.100.53")}
	cfg.IPv6CP = true
	cfg.EchoInterval = 5 * time.Second
	r, _ := hex.DecodeString("00" + "10" + "0e" + "6e" + "fd1723e4" + "b8" + "e4e94fc6a84ffc1bdaca97f7af9bc7fa" + "05d44c12c1128e42")
	cfg.Rand = bytes.NewReader(r)
	c, err := NewConn(cfg)
	if err != nil {
		t.Fatal(err)
	}
	replay(t, c, pppdClientTranscript)
	p := c.Negotiated()
	if !c.Up() || !p.IPv6Up || p.Username != "rlabuser" || p.AuthMethod != AuthCHAP || p.PeerIPv4.String() != "198.51.100.77" {
		t.Errorf("params %+v", p)
	}
	if want, _ := hex.DecodeString("4166c514df80f4cd"); !bytes.Equal(p.PeerIID[:], want) {
		t.Errorf("peer IID %x", p.PeerIID)
	}
}

// replay feeds the "<" frames of a transcript to c and checks that c sends
// exactly the ">" frames, in order, at their times.
func replay(t *testing.T, c *Conn, steps []struct {
	at    float64
	dir   string
	frame string
}) {
	t.Helper()
	at := func(s float64) time.Time { return t0.Add(time.Duration(math.Round(s*1000)) * time.Millisecond) }
	c.Open(t0)
	var pending [][]byte
	for i, step := range steps {
		want, _ := hex.DecodeString(step.frame)
		now := at(step.at)
		if d := c.NextDeadline(); !d.IsZero() && !now.Before(d) {
			c.Tick(d)
		}
		pending = append(pending, c.Output()...)
		if step.dir == "<" {
			if len(pending) != 0 {
				t.Fatalf("step %d: unexpected output %x", i, pending)
			}
			c.Input(now, want)
			continue
		}
		if len(pending) == 0 {
			t.Fatalf("step %d at %.2fs: nothing sent, want %x", i, step.at, want)
		}
		if !bytes.Equal(pending[0], want) {
			t.Fatalf("step %d: sent %x, want %x", i, pending[0], want)
		}
		pending = pending[1:]
	}
	if pending = append(pending, c.Output()...); len(pending) != 0 {
		t.Fatalf("left over output %x", pending)
	}
}
