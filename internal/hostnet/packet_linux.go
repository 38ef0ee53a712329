package hostnet

import (
	"errors"
	"net"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// PacketConn is a raw AF_PACKET socket on one interface that sees only the
// Ethernet types it was opened for (filtered in the kernel by BPF). Frames
// are whole Ethernet frames (destination MAC first). ReadBatch and
// WriteBatch move many frames per system call (recvmmsg/sendmmsg).
//
// One goroutine may read while another writes; concurrent readers (or
// writers) are serialised.
type PacketConn struct {
	c   *packet.Conn
	ifi *net.Interface
	batchIO
}

// ethPAll is ETH_P_ALL: receive every Ethernet type (the BPF filter then
// keeps only the wanted ones).
const ethPAll = 0x0003

// OpenPacketConn opens a raw socket on ifname for the given Ethernet types
// (e.g. 0x8863 PPPoE discovery, 0x8864 PPPoE session). With one type the
// socket is bound to it, so the kernel hands it only those frames; with more
// it listens to all and a BPF filter keeps the wanted types, dropping the
// host's own outgoing frames. It acts in the calling thread's network
// namespace.
func OpenPacketConn(ifname string, etherTypes ...uint16) (*PacketConn, error) {
	if len(etherTypes) == 0 {
		return nil, errors.New("hostnet: OpenPacketConn needs at least one Ethernet type")
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, actionable("look up interface "+ifname, err) // not a missing interface
		}
		return nil, interfaceNotFound(ifname)
	}
	filter, err := EtherTypeFilter(etherTypes...)
	if err != nil {
		return nil, err
	}
	proto := ethPAll
	if len(etherTypes) == 1 {
		proto = int(etherTypes[0])
	}
	c, err := packet.Listen(ifi, packet.Raw, proto, &packet.Config{Filter: filter})
	if err != nil {
		return nil, actionable("raw socket on "+ifname, err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	pc := &PacketConn{c: c, ifi: ifi, batchIO: batchIO{rc: rc}}
	// Large socket buffers absorb bursts (a GSO super-packet from the TUN
	// becomes dozens of frames at once). FORCE variants need CAP_NET_ADMIN;
	// fall back to the capped ones.
	_ = rc.Control(func(fd uintptr) {
		for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[0], 4<<20) != nil {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[1], 4<<20)
			}
		}
	})
	return pc, nil
}

// EtherTypeFilter assembles the classic BPF program OpenPacketConn attaches:
// drop frames the host itself sends (PACKET_OUTGOING), accept frames whose
// Ethernet type is one of types, drop the rest.
func EtherTypeFilter(types ...uint16) ([]bpf.RawInstruction, error) {
	n := len(types)
	prog := []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipTrue: uint8(n + 1)},
		bpf.LoadAbsolute{Off: 12, Size: 2},
	}
	for i, t := range types {
		// on match skip the remaining compares and the drop
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(t), SkipTrue: uint8(n - i)})
	}
	prog = append(prog, bpf.RetConstant{Val: 0}, bpf.RetConstant{Val: 1 << 18})
	return bpf.Assemble(prog)
}

// HardwareAddr returns the interface's MAC address.
func (c *PacketConn) HardwareAddr() net.HardwareAddr { return c.ifi.HardwareAddr }

// Interface returns the interface the socket is bound to.
func (c *PacketConn) Interface() *net.Interface { return c.ifi }

// Close closes the socket; blocked and later reads and writes return an
// error that errors.Is net.ErrClosed. Closing twice is harmless.
func (c *PacketConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.c.Close()
}

// SetReadDeadline sets the deadline for ReadFrame and ReadBatch.
func (c *PacketConn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// ReadFrame reads one frame into b and returns its length.
func (c *PacketConn) ReadFrame(b []byte) (int, error) {
	n, _, err := c.c.ReadFrom(b)
	if err != nil {
		return n, c.ioErr("read", err)
	}
	return n, nil
}

// WriteFrame sends one whole Ethernet frame.
func (c *PacketConn) WriteFrame(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.sendmmsg([][]byte{b})
	return err
}
