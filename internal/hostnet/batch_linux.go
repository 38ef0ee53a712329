package hostnet

import (
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchIO moves many packets per system call (recvmmsg/sendmmsg) on one
// socket; PacketConn (Ethernet frames) and IPIP6Conn (IPv4 packets in
// IPv6) share it. One goroutine may read while another writes; concurrent
// readers (or writers) are serialised.
type batchIO struct {
	rc syscall.RawConn

	rmu   sync.Mutex
	rmsgs []unix.Mmsghdr
	riovs []unix.Iovec

	wmu   sync.Mutex
	wmsgs []unix.Mmsghdr
	wiovs []unix.Iovec
	// wctl, when set, is ancillary data sent with every message (the
	// source address of IPIP6Conn); written only under wmu.
	wctl []byte
	// For an unconnected IPv6 socket (IPIP6Conn): wname is the
	// destination of every message written; with from set, ReadBatch
	// keeps only messages whose source address is *from.
	wname  *unix.RawSockaddrInet6
	from   *[16]byte
	rnames []unix.RawSockaddrInet6

	txQueueDrops atomic.Uint64
	closed       atomic.Bool
}

// TxQueueDrops counts packets lost because the device queue was full.
func (c *batchIO) TxQueueDrops() uint64 { return c.txQueueDrops.Load() }

// ioErr makes errors after Close recognisable (errors.Is net.ErrClosed):
// the raw-conn layer reports them as "use of closed file".
func (c *batchIO) ioErr(op string, err error) error {
	if c.closed.Load() {
		return fmt.Errorf("%s: %w", op, net.ErrClosed)
	}
	return err
}

// ReadBatch blocks until at least one packet arrives, then reads up to
// len(bufs) packets with one recvmmsg call, setting sizes[i] to the length of
// packet i. It returns the number of packets read. A packet longer than its
// buffer is truncated (its size is then the buffer length).
func (c *batchIO) ReadBatch(bufs [][]byte, sizes []int) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(bufs) == 0 {
		return 0, nil
	}
	if cap(c.rmsgs) < len(bufs) {
		c.rmsgs = make([]unix.Mmsghdr, len(bufs))
		c.riovs = make([]unix.Iovec, len(bufs))
	}
	if c.from != nil && len(c.rnames) < len(bufs) {
		c.rnames = make([]unix.RawSockaddrInet6, len(bufs))
	}
again:
	msgs, iovs := c.rmsgs[:len(bufs)], c.riovs[:len(bufs)]
	for i := range bufs {
		iovs[i].Base = &bufs[i][0]
		iovs[i].SetLen(len(bufs[i]))
		msgs[i] = unix.Mmsghdr{}
		msgs[i].Hdr.Iov = &iovs[i]
		msgs[i].Hdr.SetIovlen(1)
		if c.from != nil {
			msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(&c.rnames[i]))
			msgs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		}
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
	if c.from != nil {
		// keep the messages from the wanted source, moved to the front
		kept := 0
		for i := 0; i < n; i++ {
			if c.rnames[i].Addr != *c.from {
				continue
			}
			if kept != i {
				sizes[kept] = copy(bufs[kept], bufs[i][:sizes[i]])
			}
			kept++
		}
		if kept == 0 {
			goto again
		}
		n = kept
	}
	return n, nil
}

// WriteBatch sends every packet in bufs, using as few sendmmsg calls as the
// kernel allows. It returns how many were handled and the first error; a
// packet the device queue refused (ENOBUFS) counts as handled and is added
// to TxQueueDrops.
func (c *batchIO) WriteBatch(bufs [][]byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendmmsg(bufs)
}

func (c *batchIO) sendmmsg(bufs [][]byte) (int, error) {
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
			return 0, fmt.Errorf("hostnet: empty packet %d in batch", i)
		}
		iovs[i].Base = &bufs[i][0]
		iovs[i].SetLen(len(bufs[i]))
		msgs[i] = unix.Mmsghdr{}
		msgs[i].Hdr.Iov = &iovs[i]
		msgs[i].Hdr.SetIovlen(1)
		if c.wname != nil {
			msgs[i].Hdr.Name = (*byte)(unsafe.Pointer(c.wname))
			msgs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
		}
		if len(c.wctl) > 0 {
			msgs[i].Hdr.Control = &c.wctl[0]
			msgs[i].Hdr.SetControllen(len(c.wctl))
		}
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
				// the device queue is full: the packet is lost, as it
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
