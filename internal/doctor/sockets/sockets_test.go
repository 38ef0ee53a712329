package sockets

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/netnstest"
)

// Lines as the kernel prints them (little-endian words).
const procTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0
   2: 0A01A8C0:0050 0201A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 100 0 0 10 0
`
const procTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0CEA 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 100 0 0 10 0
   2: B80D0120000000000000000010000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0
`

func TestParseProcNet(t *testing.T) {
	v4, err := ParseProcNet([]byte(procTCP), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(v4) != 2 || v4[0].Addr.String() != "0.0.0.0:80" || v4[1].Addr.String() != "127.0.0.1:3306" || v4[0].Inode != 1001 {
		t.Fatalf("v4: %+v", v4)
	}
	v6, err := ParseProcNet([]byte(procTCP6), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(v6) != 3 || v6[0].Addr.String() != "[::]:443" || v6[1].Addr.String() != "[::1]:3306" || v6[2].Addr.String() != "[2001:db8::10]:80" {
		t.Fatalf("v6: %+v", v6)
	}
	for _, bad := range []string{"0: zz000000:0050 00000000:0000 0A 0 0 0 0 0 1 1", "0: 00000000:0050 00000000:0000 0A 0 0 0 0 0 x", "0: 00"} {
		if _, err := ParseProcNet([]byte(bad), false); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestCoverage(t *testing.T) {
	v4, _ := ParseProcNet([]byte(procTCP), false)
	v6, _ := ParseProcNet([]byte(procTCP6), true)
	all := append(v4, v6...)
	for i := range all {
		if all[i].IPv6() {
			all[i].V6Only, all[i].V6OnlyKnown = true, true
		}
	}
	c80 := CoverageOf(all, 80)
	if !c80.IPv4 || !c80.IPv6 || c80.ViaDualStack {
		t.Errorf("80: %+v", c80)
	}
	c443 := CoverageOf(all, 443)
	if c443.IPv4 || !c443.IPv6 {
		t.Errorf("443 v6only: %+v", c443)
	}
	c3306 := CoverageOf(all, 3306)
	if c3306.IPv4 || c3306.IPv6 || !c3306.LoopbackOnly4 || !c3306.LoopbackOnly6 {
		t.Errorf("3306: %+v", c3306)
	}
	// [::]:443 with v6only off takes IPv4 too (RFC 3493 section 5.3).
	for i := range all {
		if all[i].Addr.Port() == 443 {
			all[i].V6Only = false
		}
	}
	if c := CoverageOf(all, 443); !c.IPv4 || !c.IPv6 || !c.ViaDualStack {
		t.Errorf("443 dual-stack: %+v", c)
	}
}

// TestListInNamespace opens real sockets of each kind in a fresh namespace
// (the test binary re-runs itself there) and checks what List sees,
// including the v6only flag from sock_diag.
func TestListInNamespace(t *testing.T) {
	if os.Getenv("DP_SOCKETS_CHILD") == "1" {
		childList()
		return
	}
	got := coverageInChild(t, "sock", "TestListInNamespace", "DP_SOCKETS_CHILD")
	if c := got["tcp4"]; !c.IPv4 || c.IPv6 {
		t.Errorf("tcp4-only listener: %+v", c)
	}
	if c := got["v6only"]; c.IPv4 || !c.IPv6 || c.Guessed {
		t.Errorf("v6only listener: %+v", c)
	}
	if c := got["dual"]; !c.IPv4 || !c.IPv6 || !c.ViaDualStack || c.Guessed {
		t.Errorf("dual-stack listener: %+v", c)
	}
	if c := got["both"]; !c.IPv4 || !c.IPv6 || c.ViaDualStack {
		t.Errorf("separate v4 + v6only listeners: %+v", c)
	}
}

// coverageInChild re-runs this test binary's test inside a fresh namespace
// with env=1, where the child opens its sockets and prints one line
// "RESULT <json map of name -> Coverage>", and returns that map.
func coverageInChild(t *testing.T, short, test, env string) map[string]Coverage {
	t.Helper()
	ns := netnstest.New(t, short)
	cmd := ns.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var got map[string]Coverage
	line := ""
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "RESULT ") {
			line = strings.TrimPrefix(l, "RESULT ")
		}
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("child output: %v\n%s", err, out)
	}
	return got
}

func childList() {
	must := func(l net.Listener, err error) net.Listener {
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		return l
	}
	must(net.Listen("tcp4", "0.0.0.0:18080"))
	must(net.Listen("tcp6", "[::]:18081")) // Go sets IPV6_V6ONLY for "tcp6"
	must(net.Listen("tcp", ":18082"))      // dual-stack, v6only off
	must(net.Listen("tcp4", "0.0.0.0:18083"))
	must(net.Listen("tcp6", "[::]:18083"))
	ls, err := List()
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	res := map[string]Coverage{
		"tcp4": CoverageOf(ls, 18080), "v6only": CoverageOf(ls, 18081),
		"dual": CoverageOf(ls, 18082), "both": CoverageOf(ls, 18083),
	}
	b, _ := json.Marshal(res)
	fmt.Println("RESULT " + string(b))
}

func FuzzParseProcNet(f *testing.F) {
	f.Add([]byte(procTCP), false)
	f.Add([]byte(procTCP6), true)
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		ls, err := ParseProcNet(data, v6)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Addr.Addr().Is6() != v6 {
				t.Fatalf("family mismatch: %v", l.Addr)
			}
		}
	})
}

func FuzzParseDiagDump(f *testing.F) {
	f.Add([]byte{20, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	msg := make([]byte, 16+72+8)
	msg[0] = byte(len(msg))
	msg[4] = 20
	msg[16+68] = 7
	msg[16+72] = 5
	msg[16+72+2] = 11
	msg[16+72+4] = 1
	f.Add(msg)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseDiagDump(data, map[uint64]bool{})
	})
}

// UDP tables as the kernel prints them: a bound wildcard socket (07), one on
// loopback, and a connected client socket (01) that is no listener.
const procUDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
  101: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3001 2 0000000000000000 0        
  102: 0100007F:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3002 2 0000000000000000 0        
  103: 0A01A8C0:D431 0101A8C0:0035 01 00000000:00000000 00:00000000 00000000     0        0 3003 2 0000000000000000 0        
`
const procUDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  201: 00000000000000000000000000000000:CA6C 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4001 2 0000000000000000 0
  202: B80D0120000000000000000010000000:D432 B80D0120000000000000000001000000:0035 01 00000000:00000000 00:00000000 00000000     0        0 4002 2 0000000000000000 0
`

func TestParseProcNetUDP(t *testing.T) {
	v4, err := ParseProcNetUDP([]byte(procUDP), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(v4) != 2 || v4[0].Addr.String() != "0.0.0.0:53" || v4[1].Addr.String() != "127.0.0.1:5353" || v4[0].Inode != 3001 {
		t.Fatalf("v4: %+v", v4)
	}
	v6, err := ParseProcNetUDP([]byte(procUDP6), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(v6) != 1 || v6[0].Addr.String() != "[::]:51820" || v6[0].Inode != 4001 {
		t.Fatalf("v6: %+v", v6)
	}
	// The TCP parser must not take UDP's unconnected state for LISTEN, nor
	// the UDP parser TCP's LISTEN for a bound UDP socket.
	if tcp, _ := ParseProcNet([]byte(procUDP), false); len(tcp) != 0 {
		t.Errorf("TCP parser found listeners in a UDP table: %+v", tcp)
	}
	if udp, _ := ParseProcNetUDP([]byte(procTCP), false); len(udp) != 0 {
		t.Errorf("UDP parser found listeners in a TCP table: %+v", udp)
	}
}

// TestListUDPInNamespace binds real UDP sockets of each kind in a fresh
// namespace (the test binary re-runs itself there) and checks what ListUDP
// sees, including the v6only flag from sock_diag's UDP dump.
func TestListUDPInNamespace(t *testing.T) {
	if os.Getenv("DP_SOCKETS_UDP_CHILD") == "1" {
		childListUDP()
		return
	}
	got := coverageInChild(t, "sudp", "TestListUDPInNamespace", "DP_SOCKETS_UDP_CHILD")
	if c := got["udp4"]; !c.IPv4 || c.IPv6 {
		t.Errorf("udp4-only socket: %+v", c)
	}
	if c := got["v6only"]; c.IPv4 || !c.IPv6 || c.Guessed {
		t.Errorf("v6only socket: %+v", c)
	}
	if c := got["dual"]; !c.IPv4 || !c.IPv6 || !c.ViaDualStack || c.Guessed {
		t.Errorf("dual-stack socket: %+v", c)
	}
	if c := got["both"]; !c.IPv4 || !c.IPv6 || c.ViaDualStack {
		t.Errorf("separate v4 + v6only sockets: %+v", c)
	}
	if c := got["tcp"]; c.IPv4 || c.IPv6 || len(c.Sockets) != 0 {
		t.Errorf("a TCP listener counted as UDP: %+v", c)
	}
	if c := got["connected"]; c.IPv4 || c.IPv6 || len(c.Sockets) != 0 {
		t.Errorf("a connected UDP client counted as a listener: %+v", c)
	}
}

func childListUDP() {
	fail := func(err error) {
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
	}
	bind := func(network, addr string) {
		_, err := net.ListenPacket(network, addr)
		fail(err)
	}
	bind("udp4", "0.0.0.0:15350")
	bind("udp6", "[::]:15351") // Go sets IPV6_V6ONLY for "udp6"
	bind("udp", ":15352")      // dual-stack, v6only off
	bind("udp4", "0.0.0.0:15353")
	bind("udp6", "[::]:15353")
	_, err := net.Listen("tcp", ":15354")
	fail(err)
	// A connected client socket from a fixed local port: no listener.
	_, err = net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 15355}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	fail(err)
	ls, err := ListUDP()
	fail(err)
	res := map[string]Coverage{
		"udp4": CoverageOf(ls, 15350), "v6only": CoverageOf(ls, 15351),
		"dual": CoverageOf(ls, 15352), "both": CoverageOf(ls, 15353),
		"tcp": CoverageOf(ls, 15354), "connected": CoverageOf(ls, 15355),
	}
	b, _ := json.Marshal(res)
	fmt.Println("RESULT " + string(b))
}

func FuzzParseProcNetUDP(f *testing.F) {
	f.Add([]byte(procUDP), false)
	f.Add([]byte(procUDP6), true)
	f.Fuzz(func(t *testing.T, data []byte, v6 bool) {
		ls, err := ParseProcNetUDP(data, v6)
		if err != nil {
			return
		}
		for _, l := range ls {
			if l.Addr.Addr().Is6() != v6 {
				t.Fatalf("family mismatch: %v", l.Addr)
			}
		}
	})
}
