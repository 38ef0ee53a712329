package dataplane

import (
	"github.com/dualpath/dualpath/internal/inetsum"

	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/pppoe"
)

func ping(ns *netnstest.NS, args ...string) error {
	_, err := ns.Run("ping", append([]string{"-c1", "-W1"}, args...)...)
	return err
}

func TestClientACPingAndTCP(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	b := newTestbed(t, bedOptions{})
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.cli, "100.64.0.1") == nil }) {
		t.Fatalf("no IPv4 ping through the session; client %+v ac %+v", b.client.Stats(), b.acp.Stats())
	}
	if err := ping(b.ac, "100.64.0.2"); err != nil {
		t.Errorf("ping from the AC side: %v", err)
	}
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.cli, "-6", "fd00:64::1") == nil }) {
		t.Errorf("no IPv6 ping through the session")
	}

	// TCP: 2 MB each way, checked end to end.
	var ln net.Listener
	if err := hostnet.InNamespace(b.ac.Name, func() (err error) { ln, err = net.Listen("tcp", "100.64.0.1:7000"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo
	}()
	var c net.Conn
	if err := hostnet.InNamespace(b.cli.Name, func() (err error) { c, err = net.Dial("tcp", "100.64.0.1:7000"); return err }); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 2<<20)
	rand.Read(data)
	go func() { c.Write(data); c.(*net.TCPConn).CloseWrite() }()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("TCP echo: %d of %d bytes back, equal=%v, err=%v", len(got), len(data), bytes.Equal(got, data), err)
	}
	cs := b.client.Stats()
	if cs.TxBytes < uint64(len(data)) || cs.RxBytes < uint64(len(data)) {
		t.Errorf("client counters too low for %d bytes each way: %+v", len(data), cs)
	}
	if n := cs.Drops[DropTooBig] + cs.Drops[DropBadLength] + cs.Drops[DropIO]; n != 0 {
		t.Errorf("drops on a clean path: %v", cs.Drops)
	}
}

// TestDropsForeignAndMalformedFrames injects hand-made session frames from
// the AC's side: only the one with the live session ID, AC MAC and a
// correct length reaches the client's TUN; the others are counted by
// reason.
func TestDropsForeignAndMalformedFrames(t *testing.T) {
	netnstest.RequireCommand(t, "tcpdump")
	b := newTestbed(t, bedOptions{})
	// an ICMP echo request from 100.64.0.1 to the client, by hand
	echo := icmpEcho(t, "100.64.0.1", "100.64.0.2", 77)
	frame := func(src pppoe.MAC, id uint16, lenDelta int) []byte {
		ppp := append([]byte{0x00, 0x21}, echo...)
		f := BuildSessionFrame(b.cliMAC, src, id, ppp)
		l := len(ppp) + lenDelta
		f[18], f[19] = byte(l>>8), byte(l)
		return f
	}
	other := pppoe.MAC{0x02, 0, 0, 0, 0, 0x99}
	before := b.client.Stats()
	bad := [][]byte{
		frame(b.acMAC, testSessionID+1, 0), // wrong session ID
		frame(other, testSessionID, 0),     // wrong source MAC
		frame(b.acMAC, testSessionID, 5),   // LENGTH beyond the frame
		frame(b.acMAC, testSessionID, -3),  // LENGTH short of the frame (not padding)
	}
	if _, err := b.inject.WriteBatch(bad); err != nil {
		t.Fatal(err)
	}
	want := func(r DropReason, n uint64) bool { return b.client.Stats().Drops[r]-before.Drops[r] == n }
	if !netnstest.WaitFor(3*time.Second, func() bool { return want(DropUnknownSession, 2) && want(DropBadLength, 2) }) {
		t.Fatalf("drops = %v (before %v), want 2 unknown_session and 2 bad_length", b.client.Stats().Drops, before.Drops)
	}
	if got := b.client.Stats().RxPackets - before.RxPackets; got != 0 {
		t.Errorf("%d bad frames reached the TUN", got)
	}
	// the good one gets through: the client answers the echo
	if _, err := b.inject.WriteBatch([][]byte{frame(b.acMAC, testSessionID, 0)}); err != nil {
		t.Fatal(err)
	}
	if !netnstest.WaitFor(3*time.Second, func() bool { return b.client.Stats().RxPackets-before.RxPackets == 1 }) {
		t.Errorf("the good frame did not reach the TUN: %+v", b.client.Stats())
	}
}

// TestControlFramesGoToCallbacks: an LCP frame sent with SendControl on one
// side arrives at the other side's control callback, not the TUN; a PADT
// reaches the discovery callback; a cleared session's frames are dropped,
// and a new session works on the same TUN.
func TestControlFramesGoToCallbacks(t *testing.T) {
	b := newTestbed(t, bedOptions{})
	lcp := []byte{0xc0, 0x21, 0x09, 0x01, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef} // Echo-Request
	if err := b.client.SendControl(lcp); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-b.controlAtAC:
		if !bytes.Equal(got, lcp) {
			t.Errorf("AC got control %x, want %x", got, lcp)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("AC's control callback never called")
	}
	if err := b.acp.SendControl(testSessionID, b.cliMAC, lcp); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-b.controlAtClient:
		if !bytes.Equal(got, lcp) {
			t.Errorf("client got control %x", got)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("client's control callback never called")
	}
	// a PADT (discovery stage) from the AC reaches the client's discovery
	// callback
	padt := append(append(append([]byte{}, b.cliMAC[:]...), b.acMAC[:]...), 0x88, 0x63, 0x11, 0xa7, 0x12, 0x34, 0, 0)
	if err := b.acp.SendDiscovery(padt); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-b.discAtClient:
		if !bytes.HasPrefix(got, padt) {
			t.Errorf("client got discovery frame %x, want %x", got, padt)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("client's discovery callback never called")
	}
	// after ClearSession nothing of the old session is accepted
	b.client.ClearSession()
	if err := b.acp.SendControl(testSessionID, b.cliMAC, lcp); err != nil {
		t.Fatal(err)
	}
	if !netnstest.WaitFor(3*time.Second, func() bool { return b.client.Stats().Drops[DropUnknownSession] >= 1 }) {
		t.Errorf("frame of a cleared session not dropped: %+v", b.client.Stats())
	}
	// and a reconnect with a new ID works on the same TUN
	s := b.sess
	s.ID = 0x2222
	if err := b.client.SetSession(s); err != nil {
		t.Fatal(err)
	}
	if err := b.acp.SendControl(testSessionID, b.cliMAC, lcp); err != nil {
		t.Fatal(err)
	}
	b.acp.RemoveSession(testSessionID, b.cliMAC)
	if err := b.acp.AddSession(Session{ID: 0x2222, Local: b.acMAC, Peer: b.cliMAC, MTU: 1454}, netip.MustParsePrefix("100.64.0.2/32")); err != nil {
		t.Fatal(err)
	}
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.cli, "100.64.0.1") == nil }) {
		t.Errorf("no ping after switching to session 0x2222: %+v", b.client.Stats())
	}
}

// TestMSSClampBothDirections: both TUNs have MTU 1500, so both kernels
// advertise MSS 1460; the client's session MTU is 1454 (the AC's 1500, so
// the AC clamps nothing). The client must clamp its outgoing SYN (seen on
// the AC's TUN) and the incoming SYN-ACK (seen on its own TUN) to 1414, and
// drop oversize pings as too big, telling the stack the MTU by ICMP.
func TestMSSClampBothDirections(t *testing.T) {
	netnstest.RequireCommand(t, "tcpdump", "ping")
	b := newTestbed(t, bedOptions{sessionMTU: 1454, tunMTU: 1500, acSessionMTU: 1500})
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.cli, "100.64.0.1") == nil }) {
		t.Fatal("no ping")
	}
	capSYN := b.ac.Start("tcpdump", "-n", "-l", "-c1", "-i", "ac0", "tcp[tcpflags] == tcp-syn")
	capSYNACK := b.cli.Start("tcpdump", "-n", "-l", "-c1", "-i", "dp0", "tcp[tcpflags] == tcp-syn|tcp-ack")
	time.Sleep(700 * time.Millisecond) // let tcpdump attach (not a timing assertion)
	var ln net.Listener
	if err := hostnet.InNamespace(b.ac.Name, func() (err error) { ln, err = net.Listen("tcp", "100.64.0.1:7001"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	var c net.Conn
	if err := hostnet.InNamespace(b.cli.Name, func() (err error) { c, err = net.Dial("tcp", "100.64.0.1:7001"); return err }); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for name, p := range map[string]*netnstest.Proc{"SYN at the AC": capSYN, "SYN-ACK at the client": capSYNACK} {
		if err := p.Wait(5 * time.Second); err != nil {
			t.Fatalf("tcpdump for %s: %v: %s", name, err, p.Output())
		}
		if !strings.Contains(p.Output(), "mss 1414") {
			t.Errorf("%s not clamped to 1414:\n%s", name, p.Output())
		}
	}
	if s := b.client.Stats(); s.MSSClamped != 2 {
		t.Errorf("client clamped %d SYNs, want 2 (SYN out, SYN-ACK in)", s.MSSClamped)
	}
	if s := b.acp.Stats(); s.MSSClamped != 0 {
		t.Errorf("AC with session MTU 1500 clamped %d SYNs", s.MSSClamped)
	}
	before := b.client.Stats()
	// 1488-byte packets > 1454: dropped, and the stack is told the MTU
	out, _ := b.cli.Run("ping", "-c2", "-W1", "-M", "do", "-s", "1460", "100.64.0.1")
	if !strings.Contains(out, "mtu = 1454") && !strings.Contains(out, "mtu=1454") {
		t.Errorf("IPv4 ping with DF did not learn MTU 1454:\n%s", out)
	}
	out, _ = b.cli.Run("ping", "-6", "-c2", "-W1", "-M", "do", "-s", "1420", "fd00:64::1") // 1468 bytes
	if !strings.Contains(out, "mtu=1454") && !strings.Contains(out, "mtu = 1454") {
		t.Errorf("IPv6 ping did not learn MTU 1454:\n%s", out)
	}
	after := b.client.Stats()
	if got := after.Drops[DropTooBig] - before.Drops[DropTooBig]; got < 2 {
		t.Errorf("oversize packets counted as too_big: %d, want >= 2", got)
	}
	if got := after.PacketTooBig - before.PacketTooBig; got < 2 {
		t.Errorf("packet-too-big errors sent: %d, want >= 2", got)
	}
	// and a smaller DF ping still goes through
	if err := ping(b.cli, "-M", "do", "-s", "1426", "100.64.0.1"); err != nil {
		t.Errorf("1454-byte ping: %v", err)
	}
}

// TestGSOSplitBulkTransfer sends 32 MB from the client through the session:
// with TUN offloads the kernel hands over GSO super-packets that must leave
// as frames within the session MTU, intact.
func TestGSOSplitBulkTransfer(t *testing.T) {
	b := newTestbed(t, bedOptions{})
	var ln net.Listener
	if err := hostnet.InNamespace(b.ac.Name, func() (err error) { ln, err = net.Listen("tcp", "100.64.0.1:7002"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sums := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			sums <- err.Error()
			return
		}
		defer c.Close()
		h := sha256.New()
		n, err := io.Copy(h, c)
		sums <- fmt.Sprintf("%d %x %v", n, h.Sum(nil), err)
	}()
	var c net.Conn
	if err := hostnet.InNamespace(b.cli.Name, func() (err error) { c, err = net.Dial("tcp", "100.64.0.1:7002"); return err }); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 32<<20)
	rand.Read(data)
	want := fmt.Sprintf("%d %x <nil>", len(data), sha256.Sum256(data))
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.Write(data); err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case got := <-sums:
		if got != want {
			t.Fatalf("received %s, want %s", got, want)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("transfer did not finish")
	}
	s := b.client.Stats()
	if s.Drops[DropTooBig] != 0 {
		t.Errorf("%d packets from the TUN exceeded the session MTU", s.Drops[DropTooBig])
	}
	if s.TxPackets <= s.TUNReads {
		t.Errorf("no GSO/batching seen: %d packets in %d TUN reads", s.TxPackets, s.TUNReads)
	}
	t.Logf("client: %d packets from %d TUN reads (%.1f per read); AC: %d frames in %d link reads",
		s.TxPackets, s.TUNReads, float64(s.TxPackets)/float64(s.TUNReads), b.acp.Stats().RxPackets, b.acp.Stats().LinkReads)
}

// icmpEcho builds an IPv4 ICMP echo request with valid checksums.
func icmpEcho(t *testing.T, src, dst string, seq uint16) []byte {
	t.Helper()
	p := make([]byte, 28+64)
	p[0], p[8], p[9] = 0x45, 64, 1
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	copy(p[12:16], netip.MustParseAddr(src).AsSlice())
	copy(p[16:20], netip.MustParseAddr(dst).AsSlice())
	binary.BigEndian.PutUint16(p[10:], inetsum.Checksum(0, p[:20]))
	icmp := p[20:]
	icmp[0] = 8
	binary.BigEndian.PutUint16(icmp[4:], 0x4242)
	binary.BigEndian.PutUint16(icmp[6:], seq)
	copy(icmp[8:], "dualpath: a payload long enough for a frame over 60 bytes")
	binary.BigEndian.PutUint16(icmp[2:], inetsum.Checksum(0, icmp))
	return p
}

// TestSurvivesLinkDown: the LAN link goes down and up again; the forwarder
// keeps running (the error is reported in Stats) and traffic resumes.
func TestSurvivesLinkDown(t *testing.T) {
	netnstest.RequireCommand(t, "ping")
	b := newTestbed(t, bedOptions{})
	if !netnstest.WaitFor(5*time.Second, func() bool { return ping(b.cli, "100.64.0.1") == nil }) {
		t.Fatal("no ping")
	}
	b.cli.MustRun("ip", "link", "set", "eth0", "down")
	_ = ping(b.cli, "100.64.0.1") // fails: the frames cannot leave
	if !netnstest.WaitFor(3*time.Second, func() bool { return b.client.Stats().LastError != "" }) {
		t.Errorf("link down not reported: %+v", b.client.Stats())
	}
	b.cli.MustRun("ip", "link", "set", "eth0", "up")
	if !netnstest.WaitFor(10*time.Second, func() bool { return ping(b.cli, "100.64.0.1") == nil }) {
		t.Fatalf("no ping after the link came back: %+v", b.client.Stats())
	}
	t.Logf("reported while down: %s", b.client.Stats().LastError)
}
