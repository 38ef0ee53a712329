package probe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
)

// exchange opens a raw socket on ifname for etherType, sends the frames
// returned by build at each of the offsets in sends (from the start), and
// passes every frame heard until wait has passed (or ctx ends) to handle.
func exchange(ctx context.Context, ifname string, etherType uint16, wait time.Duration, sends []time.Duration,
	build func(mac net.HardwareAddr) [][]byte, handle func(frame []byte)) error {
	conn, err := hostnet.OpenPacketConn(ifname, etherType)
	if err != nil {
		return err
	}
	defer conn.Close()
	mac := conn.HardwareAddr()
	if len(mac) != 6 {
		return errors.New("interface " + ifname + " has no Ethernet address")
	}
	frames := build(mac)
	start := time.Now()
	end := start.Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(end) {
		end = d
	}
	next := 0
	buf := make([]byte, 2048)
	for {
		now := time.Now()
		for next < len(sends) && !now.Before(start.Add(sends[next])) {
			for _, f := range frames {
				if err := conn.WriteFrame(f); err != nil {
					return err
				}
			}
			next++
		}
		if !now.Before(end) || ctx.Err() != nil {
			return nil
		}
		rd := end
		if next < len(sends) && start.Add(sends[next]).Before(rd) {
			rd = start.Add(sends[next])
		}
		_ = conn.SetReadDeadline(rd)
		n, err := conn.ReadFrame(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return err
		}
		handle(buf[:n])
	}
}

// DHCPOffers broadcasts a DHCPDISCOVER on ifname (twice, a second apart, in
// case one is lost) and returns the offers heard within wait, one per server
// (Ethernet address + server identifier). No DHCPREQUEST follows: no lease
// is taken.
func DHCPOffers(ctx context.Context, ifname string, wait time.Duration) ([]Offer, error) {
	var xb [4]byte
	_, _ = rand.Read(xb[:])
	xid := binary.BigEndian.Uint32(xb[:])
	var mac net.HardwareAddr
	var offers []Offer
	err := exchange(ctx, ifname, EtherTypeIPv4, wait, []time.Duration{0, time.Second},
		func(m net.HardwareAddr) [][]byte { mac = m; return [][]byte{BuildDiscover(m, xid)} },
		func(f []byte) {
			o, err := ParseOffer(f, mac, xid)
			if err != nil {
				return
			}
			if !slices.ContainsFunc(offers, func(x Offer) bool {
				return x.ServerIP == o.ServerIP && x.ServerMAC.String() == o.ServerMAC.String()
			}) {
				offers = append(offers, o)
			}
		})
	return offers, err
}

// ARPClaims sends RFC 5227 ARP probes for each target (three rounds, 300 ms
// apart, as section 2.1.1 sends PROBE_NUM probes) and returns, per target,
// every distinct hardware address that claimed it within wait. Probes use
// sender IP 0.0.0.0, so no neighbour cache changes.
func ARPClaims(ctx context.Context, ifname string, targets []netip.Addr, wait time.Duration) (map[netip.Addr][]ARPAnswer, error) {
	want := map[netip.Addr]bool{}
	for _, t := range targets {
		want[t] = true
	}
	out := map[netip.Addr][]ARPAnswer{}
	err := exchange(ctx, ifname, EtherTypeARP, wait, []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond},
		func(m net.HardwareAddr) [][]byte {
			var fs [][]byte
			for _, t := range targets {
				fs = append(fs, BuildARPProbe(m, t))
			}
			return fs
		},
		func(f []byte) {
			a, err := ParseARP(f)
			if err != nil || !want[a.Addr] {
				return
			}
			if !slices.ContainsFunc(out[a.Addr], func(x ARPAnswer) bool { return x.MAC.String() == a.MAC.String() }) {
				out[a.Addr] = append(out[a.Addr], a)
			}
		})
	return out, err
}

// RouterAdverts sends a Router Solicitation (twice, a second apart) and
// returns the distinct routers whose Router Advertisements arrived within
// wait, solicited or not.
func RouterAdverts(ctx context.Context, ifname string, wait time.Duration) ([]RouterAdvert, error) {
	var out []RouterAdvert
	err := exchange(ctx, ifname, EtherTypeIPv6, wait, []time.Duration{0, time.Second},
		func(m net.HardwareAddr) [][]byte { return [][]byte{BuildRS(m)} },
		func(f []byte) {
			ra, err := ParseRA(f)
			if err != nil {
				return
			}
			if i := slices.IndexFunc(out, func(x RouterAdvert) bool { return x.Source == ra.Source }); i >= 0 {
				out[i] = ra // keep the latest
				return
			}
			out = append(out, ra)
		})
	return out, err
}

// PPPoEOffers broadcasts a PADI with a random Host-Uniq (again after a
// second) and returns the ACs that answered with a PADO within wait. It
// never sends a PADR, so no session is opened.
func PPPoEOffers(ctx context.Context, ifname string, wait time.Duration) ([]AccessConcentrator, error) {
	hu := make([]byte, 8)
	_, _ = rand.Read(hu)
	var out []AccessConcentrator
	err := exchange(ctx, ifname, EtherTypePPPoEDisc, wait, []time.Duration{0, time.Second},
		func(m net.HardwareAddr) [][]byte { return [][]byte{BuildPADI(m, hu)} },
		func(f []byte) {
			ac, err := ParsePADO(f, hu)
			if err != nil {
				return
			}
			if !slices.ContainsFunc(out, func(x AccessConcentrator) bool { return x.MAC.String() == ac.MAC.String() }) {
				out = append(out, ac)
			}
		})
	return out, err
}
