// Package vantage holds the small network programs the lab runs at its
// vantage points (the visitors inet4/inet6, the PC, the server) to observe
// the system from outside: a "who am I" service that tells a client the
// address and port it was seen from, a dialer for it, an HTTP fetch that
// resolves through a chosen DNS server, a TCP connect scan, and a UDP
// responder with its scan (a decoy that answers any datagram, so a UDP
// port let through a firewall shows as open). Each prints
// one JSON object, which the lab's checks read. (internal/doctor/probe is
// unrelated: doctor's active probes of the real LAN.)
package vantage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Whoami serves "ADDR PORT\n" (the client's address and port as seen here)
// to every TCP connection on ln until ctx ends.
func Whoami(ctx context.Context, ln net.Listener) error {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func(c net.Conn) {
			defer c.Close()
			ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
			if err != nil {
				return
			}
			_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
			fmt.Fprintf(c, "%s %d\n", ap.Addr().Unmap(), ap.Port())
		}(c)
	}
}

// Seen is a whoami answer: how a peer saw us.
type Seen struct {
	Addr  netip.Addr `json:"addr"`
	Port  uint16     `json:"port"`
	Local string     `json:"local"` // our own end of the connection
}

// Dial connects to a whoami service and returns its answer.
func Dial(ctx context.Context, addr string, timeout time.Duration) (Seen, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Seen{}, err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(io.LimitReader(c, 128)).ReadString('\n')
	if err != nil {
		return Seen{}, fmt.Errorf("whoami at %s: %v", addr, err)
	}
	return ParseSeen(line, c.LocalAddr().String())
}

// ParseSeen decodes a whoami answer line "ADDR PORT".
func ParseSeen(line, local string) (Seen, error) {
	f := strings.Fields(line)
	if len(f) != 2 {
		return Seen{}, fmt.Errorf("whoami answer %q: want \"ADDR PORT\"", line)
	}
	a, err := netip.ParseAddr(f[0])
	if err != nil {
		return Seen{}, fmt.Errorf("whoami answer %q: %v", line, err)
	}
	p, err := strconv.ParseUint(f[1], 10, 16)
	if err != nil {
		return Seen{}, fmt.Errorf("whoami answer %q: bad port", line)
	}
	return Seen{Addr: a, Port: uint16(p), Local: local}, nil
}

// Fetched is the result of Fetch.
type Fetched struct {
	Resolved []string `json:"resolved"` // what DNS answered for the host
	Addr     string   `json:"addr"`     // the address connected to
	Status   int      `json:"status"`
	Body     string   `json:"body"`
}

// Fetch resolves url's host through dnsServer (host:port; empty: the
// system's resolver) and GETs it over the given family ("4", "6" or "").
func Fetch(ctx context.Context, url, dnsServer, family string, timeout time.Duration) (Fetched, error) {
	var res Fetched
	network := "tcp" + family
	r := net.DefaultResolver
	if dnsServer != "" {
		r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", dnsServer)
		}}
	}
	d := &net.Dialer{Timeout: timeout, Resolver: r}
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips := []string{host}
			if _, err := netip.ParseAddr(host); err != nil {
				want := "ip" + family
				if family == "" {
					want = "ip"
				}
				as, err := r.LookupNetIP(ctx, want, host)
				if err != nil {
					return nil, err
				}
				ips = ips[:0]
				for _, a := range as {
					ips = append(ips, a.Unmap().String())
				}
				res.Resolved = ips
			}
			var lastErr error
			for _, ip := range ips {
				c, err := d.DialContext(ctx, network, net.JoinHostPort(ip, port))
				if err == nil {
					res.Addr = ip
					return c, nil
				}
				lastErr = err
			}
			return nil, lastErr
		},
	}
	cl := &http.Client{Transport: tr, Timeout: timeout}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return res, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	res.Status = resp.StatusCode
	res.Body = string(b)
	return res, nil
}

// Scan tries a TCP connection to every port of addr (a few at a time) and
// returns the ports that accepted, in order.
func Scan(ctx context.Context, addr netip.Addr, ports []uint16, timeout time.Duration) []uint16 {
	return scan(ports, func(p uint16) bool {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(addr, p).String())
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// scan runs open for every port, 256 at a time, and returns the ports it
// said yes to, in order.
func scan(ports []uint16, open func(uint16) bool) []uint16 {
	var (
		mu  sync.Mutex
		out []uint16
		wg  sync.WaitGroup
		sem = make(chan struct{}, 256)
	)
	for _, p := range ports {
		wg.Add(1)
		sem <- struct{}{}
		go func(p uint16) {
			defer wg.Done()
			defer func() { <-sem }()
			if open(p) {
				mu.Lock()
				out = append(out, p)
				mu.Unlock()
			}
		}(p)
	}
	wg.Wait()
	slices.Sort(out)
	return out
}

// UDPEcho answers every datagram on pc with "ADDR PORT\n" (the sender as
// seen here) until ctx ends: a UDP service that answers whatever it is
// sent, so a scan can tell an open UDP port from a filtered one. Each
// answer leaves from the address the datagram was sent to (IPV6_PKTINFO /
// IP_PKTINFO), as a UDP server on a host with several addresses must: a
// socket bound to the wildcard would otherwise answer from whatever
// address the route to the sender picks, which the sender ignores.
func UDPEcho(ctx context.Context, pc *net.UDPConn) error {
	go func() { <-ctx.Done(); pc.Close() }()
	// The destination of each datagram: IPV6_PKTINFO on a dual-stack
	// socket (IPv4 ones as ::ffff:a.b.c.d), IP_PKTINFO on an IPv4 one.
	var read func([]byte) (net.IP, net.Addr, error)
	if p6 := ipv6.NewPacketConn(pc); p6.SetControlMessage(ipv6.FlagDst, true) == nil {
		read = func(b []byte) (net.IP, net.Addr, error) {
			_, cm, from, err := p6.ReadFrom(b)
			if cm == nil {
				return nil, from, err
			}
			return cm.Dst, from, err
		}
	} else if p4 := ipv4.NewPacketConn(pc); p4.SetControlMessage(ipv4.FlagDst, true) == nil {
		read = func(b []byte) (net.IP, net.Addr, error) {
			_, cm, from, err := p4.ReadFrom(b)
			if cm == nil {
				return nil, from, err
			}
			return cm.Dst, from, err
		}
	} else {
		return fmt.Errorf("udp echo on %s: the kernel gives no destination addresses", pc.LocalAddr())
	}
	buf := make([]byte, 2048)
	for {
		dst, from, err := read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		to, ok := from.(*net.UDPAddr)
		if !ok {
			continue
		}
		ap := to.AddrPort()
		// The answer's source: IP_PKTINFO for IPv4 (also on a dual-stack
		// socket, where the kernel sends IPv4 through its IPv4 path, which
		// reads only that), IPV6_PKTINFO for IPv6.
		var oob []byte
		if d4 := dst.To4(); d4 != nil {
			oob = (&ipv4.ControlMessage{Src: d4}).Marshal()
		} else if dst != nil {
			oob = (&ipv6.ControlMessage{Src: dst}).Marshal()
		}
		_, _, _ = pc.WriteMsgUDP([]byte(fmt.Sprintf("%s %d\n", ap.Addr().Unmap(), ap.Port())), oob, to)
	}
}

// udpProbe is what ScanUDP sends: any datagram makes UDPEcho answer.
var udpProbe = []byte("dualpath lab scan\n")

// ScanUDP sends a datagram to every port of addr (a few at a time) and
// returns the ports that answered within timeout, in order. A port that
// answers nothing (filtered, or a service that ignores the probe) or
// sends back ICMP port unreachable is not open: only an answer proves
// that datagrams get through to a listening service and back.
func ScanUDP(ctx context.Context, addr netip.Addr, ports []uint16, timeout time.Duration) []uint16 {
	return scan(ports, func(p uint16) bool {
		var d net.Dialer
		c, err := d.DialContext(ctx, "udp", netip.AddrPortFrom(addr, p).String())
		if err != nil {
			return false
		}
		defer c.Close()
		stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
		defer stop()
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := c.Write(udpProbe); err != nil {
			return false
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		return err == nil && n > 0
	})
}

// ParsePorts reads "1-1024,8022,8080" into a port list.
func ParsePorts(s string) ([]uint16, error) {
	var ps []uint16
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil || a == 0 {
			return nil, fmt.Errorf("bad port %q in %q", lo, s)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("bad port range %q in %q", part, s)
			}
		}
		for p := a; p <= b; p++ {
			ps = append(ps, uint16(p))
		}
	}
	return ps, nil
}

// maxWebhookBody bounds one webhook body the receiver keeps.
const maxWebhookBody = 64 << 10

// WebhookReceiver answers every POST on ln with 204 and writes its body, on
// one line, to out: the lab's stand-in for a chat service or ntfy, where
// the demo shows dualpath's notifications arriving.
func WebhookReceiver(ctx context.Context, ln net.Listener, out io.Writer) error {
	var mu sync.Mutex
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		fmt.Fprintf(out, "%s\n", strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", " "))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
