package mapetun

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

// tunOffset is the headroom wireguard's TUN wants before each packet (its
// virtio-net header when offloads are on).
const tunOffset = 16

// Tunnel moves packets between a TUN device (IPv4) and a raw IPv6 socket
// for next header 4 (IPv4-in-IPv6, RFC 2473), asking a Translator what may
// cross. The kernel delivers to the raw socket every IPv4-in-IPv6 packet
// addressed to Local, without its IPv6 header.
type Tunnel struct {
	TUN   string     // TUN device name, created by Run
	MTU   int        // IPv4 MTU of the TUN (1460 on Japanese MAP-E lines)
	Local netip.Addr // our IPv6 end: the BR address or the CE address
	X     Translator
	// RefuseWithICMP answers packets the translator refuses on their way
	// in from the TUN with ICMPv4 Destination Unreachable code 13
	// (communication administratively prohibited), from the address they
	// were sent to, as a BR may (RFC 7597 section 8.2), so that a visitor
	// knocking on a port nobody owns gets an answer instead of a timeout.
	RefuseWithICMP bool
	Log            *slog.Logger

	encap, decap, refusedOut, refusedIn atomic.Uint64
}

// Run creates the TUN device and forwards until ctx ends. The caller (the
// lab) brings the device up and routes to it.
func (t *Tunnel) Run(ctx context.Context) error {
	if t.Log == nil {
		t.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dev, err := tun.CreateTUN(t.TUN, t.MTU)
	if err != nil {
		return fmt.Errorf("create TUN %s: %v", t.TUN, err)
	}
	defer dev.Close()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_IPIP)
	if err != nil {
		return fmt.Errorf("raw IPv6 socket for IPv4-in-IPv6: %v (needs CAP_NET_RAW)", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrInet6{Addr: t.Local.As16()}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind raw socket to %s: %v", t.Local, err)
	}
	// Wake the reader now and then so it notices ctx.
	tv := unix.Timeval{Sec: 0, Usec: 500000}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)

	errc := make(chan error, 2)
	go func() { errc <- t.fromTUN(ctx, dev, fd) }()
	go func() { errc <- t.fromIPv6(ctx, dev, fd) }()
	go t.stats(ctx)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		return err
	}
}

func (t *Tunnel) stats(ctx context.Context) {
	tk := time.NewTicker(10 * time.Second)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			t.Log.Info("stats", "encap", t.encap.Load(), "decap", t.decap.Load(),
				"refused_out", t.refusedOut.Load(), "refused_in", t.refusedIn.Load())
		}
	}
}

// fromTUN: IPv4 from the TUN -> IPv4-in-IPv6 to the translator's choice.
func (t *Tunnel) fromTUN(ctx context.Context, dev tun.Device, fd int) error {
	n := dev.BatchSize()
	bufs := make([][]byte, n)
	sizes := make([]int, n)
	for i := range bufs {
		bufs[i] = make([]byte, tunOffset+65536)
	}
	for ctx.Err() == nil {
		cnt, err := dev.Read(bufs, sizes, tunOffset)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read TUN: %v", err)
		}
		for i := 0; i < cnt; i++ {
			pkt := bufs[i][tunOffset : tunOffset+sizes[i]]
			dst, err := t.X.Encap(pkt)
			if err != nil {
				t.refusedOut.Add(1)
				t.Log.Debug("refused from TUN", "why", err)
				if t.RefuseWithICMP && len(pkt) >= 20 && pkt[9] != protoICMP {
					t.writeTUN(dev, Unreachable(netip.AddrFrom4([4]byte(pkt[16:20])), 13, pkt))
				}
				continue
			}
			to := &unix.SockaddrInet6{Addr: dst.As16()}
			if err := unix.Sendto(fd, pkt, 0, to); err != nil {
				t.Log.Warn("send IPv4-in-IPv6", "to", dst, "err", err)
				continue
			}
			t.encap.Add(1)
		}
	}
	return nil
}

func (t *Tunnel) writeTUN(dev tun.Device, pkt []byte) {
	buf := make([]byte, tunOffset+len(pkt))
	copy(buf[tunOffset:], pkt)
	if _, err := dev.Write([][]byte{buf}, tunOffset); err != nil {
		t.Log.Warn("write TUN", "err", err)
	}
}

// fromIPv6: IPv4-in-IPv6 from the raw socket -> IPv4 into the TUN.
func (t *Tunnel) fromIPv6(ctx context.Context, dev tun.Device, fd int) error {
	buf := make([]byte, tunOffset+65536)
	for ctx.Err() == nil {
		n, from, err := unix.Recvfrom(fd, buf[tunOffset:], 0)
		if err != nil {
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("receive IPv4-in-IPv6: %v", err)
		}
		sa, ok := from.(*unix.SockaddrInet6)
		if !ok {
			continue
		}
		src := netip.AddrFrom16(sa.Addr)
		pkt := buf[tunOffset : tunOffset+n]
		if err := t.X.Decap(src, pkt); err != nil {
			t.refusedIn.Add(1)
			t.Log.Debug("refused from IPv6", "src", src, "why", err)
			continue
		}
		if _, err := dev.Write([][]byte{buf[:tunOffset+n]}, tunOffset); err != nil {
			t.Log.Warn("write TUN", "err", err)
			continue
		}
		t.decap.Add(1)
	}
	return nil
}
