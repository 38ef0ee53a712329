package hostnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// IPIP6Conn is a raw IPv6 socket for next header 4 (IPv4-in-IPv6, RFC 2473
// section 3.1: the IPv4 packet is the IPv6 payload) talking to one remote
// tunnel end point, such as a fixed-IP service's border relay. The kernel
// strips the IPv6 header; ReadBatch returns the IPv4 packets the remote
// sent, one per buffer, and drops those from anyone else. (The socket is
// not connect()ed: connecting would also fix its local address to the
// one the kernel picks for the remote, and the tunnel's end point is a
// deprecated address it never picks.) WriteBatch sends
// each buffer (one IPv4 packet) to the remote from the source address set
// by SetSource, which can change while the socket stays open (a new IPv6
// prefix gives a new tunnel end point). It acts in the calling thread's
// network namespace.
type IPIP6Conn struct {
	f      *os.File
	remote netip.Addr
	batchIO
}

// OpenIPIP6 opens the socket towards remote with source as the local end.
func OpenIPIP6(remote, source netip.Addr) (*IPIP6Conn, error) {
	if !remote.Is6() || remote.Is4In6() || !source.Is6() || source.Is4In6() {
		return nil, fmt.Errorf("hostnet: IPv4-in-IPv6 needs IPv6 end points, not %v and %v", source, remote)
	}
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_IPIP)
	if err != nil {
		return nil, actionable("raw IPv6 socket for IPv4-in-IPv6", err)
	}
	for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], 4<<20) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[1], 4<<20)
		}
	}
	f := os.NewFile(uintptr(fd), "ipip6:"+remote.String())
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	from := remote.As16()
	name := &unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: from}
	c := &IPIP6Conn{f: f, remote: remote, batchIO: batchIO{rc: rc, wname: name, from: &from}}
	c.SetSource(source)
	return c, nil
}

// SetSource makes a the source address of the packets sent from now on
// (an IPV6_PKTINFO control message on each, RFC 3542 section 6); a must
// be an address of this host.
func (c *IPIP6Conn) SetSource(a netip.Addr) {
	b := make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = unix.IPPROTO_IPV6
	h.Type = unix.IPV6_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
	pi := (*unix.Inet6Pktinfo)(unsafe.Pointer(&b[unix.CmsgLen(0)]))
	pi.Addr = a.As16()
	c.wmu.Lock()
	c.wctl = b
	c.wmu.Unlock()
}

// Remote returns the remote end point.
func (c *IPIP6Conn) Remote() netip.Addr { return c.remote }

// Close closes the socket; blocked and later reads and writes return an
// error that errors.Is net.ErrClosed. Closing twice is harmless.
func (c *IPIP6Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if err := c.f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return err
	}
	return nil
}
