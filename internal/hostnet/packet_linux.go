package hostnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

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
	rc  syscall.RawConn
	ifi *net.Interface

	rmu   sync.Mutex
	rmsgs []unix.Mmsghdr
	riovs []unix.Iovec

	wmu   sync.Mutex
	wmsgs []unix.Mmsghdr
	wiovs []unix.Iovec

	txQueueDrops atomic.Uint64
	closed       atomic.Bool
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
	pc := &PacketConn{c: c, rc: rc, ifi: ifi}
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

// TxQueueDrops counts frames lost because the device queue was full.
func (c *PacketConn) TxQueueDrops() uint64 { return c.txQueueDrops.Load() }

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

// ioErr makes errors after Close recognisable (errors.Is net.ErrClosed):
// the raw-conn layer reports them as "use of closed file".
func (c *PacketConn) ioErr(op string, err error) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %w", op, net.ErrClosed)
	}
	return err
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

// ReadBatch blocks until at least one frame arrives, then reads up to
// len(bufs) frames with one recvmmsg call, setting sizes[i] to the length of
// frame i. It returns the number of frames read. A frame longer than its
// buffer is truncated (its size is then the buffer length).
func (c *PacketConn) ReadBatch(bufs [][]byte, sizes []int) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(bufs) == 0 {
		return 0, nil
	}
	if cap(c.rmsgs) < len(bufs) {
		c.rmsgs = make([]unix.Mmsghdr, len(bufs))
		c.riovs = make([]unix.Iovec, len(bufs))
	}
	msgs, iovs := c.rmsgs[:len(bufs)], c.riovs[:len(bufs)]
	for i := range bufs {
		iovs[i].Base = &bufs[i][0]
		iovs[i].SetLen(len(bufs[i]))
		msgs[i] = unix.Mmsghdr{}
		msgs[i].Hdr.Iov = &iovs[i]
		msgs[i].Hdr.SetIovlen(1)
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		n, errno = int(r), e
		return true
	})
	if err != nil {
		return 0, c.ioErr("recvmmsg", err)
	}
	if errno != 0 {
		return 0, c.ioErr("recvmmsg", os.NewSyscallError("recvmmsg", errno))
	}
	for i := 0; i < n; i++ {
		sizes[i] = int(msgs[i].Len)
		if sizes[i] > len(bufs[i]) {
			sizes[i] = len(bufs[i])
		}
	}
	return n, nil
}

// WriteBatch sends every frame in bufs, using as few sendmmsg calls as the
// kernel allows. It returns how many were handled and the first error; a
// frame the device queue refused (ENOBUFS) counts as handled and is added
// to TxQueueDrops.
func (c *PacketConn) WriteBatch(bufs [][]byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendmmsg(bufs)
}

func (c *PacketConn) sendmmsg(bufs [][]byte) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	if cap(c.wmsgs) < len(bufs) {
		c.wmsgs = make([]unix.Mmsghdr, len(bufs))
		c.wiovs = make([]unix.Iovec, len(bufs))
	}
	msgs, iovs := c.wmsgs[:len(bufs)], c.wiovs[:len(bufs)]
	for i := range bufs {
		if len(bufs[i]) == 0 {
			return 0, fmt.Errorf("hostnet: empty frame %d in batch", i)
		}
		iovs[i].Base = &bufs[i][0]
		iovs[i].SetLen(len(bufs[i]))
		msgs[i] = unix.Mmsghdr{}
		msgs[i].Hdr.Iov = &iovs[i]
		msgs[i].Hdr.SetIovlen(1)
	}
	sent := 0
	for sent < len(msgs) {
		var n int
		var errno syscall.Errno
		err := c.rc.Write(func(fd uintptr) bool {
			r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&msgs[sent])), uintptr(len(msgs)-sent), unix.MSG_DONTWAIT, 0, 0)
			if e == unix.EAGAIN || e == unix.EINTR {
				return false
			}
			n, errno = int(r), e
			return true
		})
		if err != nil {
			return sent, c.ioErr("sendmmsg", err)
		}
		if errno != 0 {
			if errno == unix.ENOBUFS {
				// the device queue is full: the frame is lost, as it
				// would be on a congested wire; count it and go on.
				c.txQueueDrops.Add(1)
				sent++
				continue
			}
			return sent, c.ioErr("sendmmsg", os.NewSyscallError("sendmmsg", errno))
		}
		sent += n
	}
	return sent, nil
}
