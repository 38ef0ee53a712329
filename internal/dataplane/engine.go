package dataplane

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/pppoe"
	"golang.zx2c4.com/wireguard/tun"
)

// TUN is what the engine needs from a TUN device; tun.Device from
// golang.zx2c4.com/wireguard/tun (as made by hostnet.Journal.CreateTUN)
// satisfies it. Packets are read and written at an offset, leaving room in
// front of each for the link headers.
type TUN interface {
	Read(bufs [][]byte, sizes []int, offset int) (int, error)
	Write(bufs [][]byte, offset int) (int, error)
	BatchSize() int
}

// Link is what the engine needs from a raw Ethernet socket;
// *hostnet.PacketConn satisfies it. Frames are whole Ethernet frames.
type Link interface {
	ReadBatch(bufs [][]byte, sizes []int) (int, error)
	WriteBatch(bufs [][]byte) (int, error)
}

// Session identifies one PPPoE session on the wire and its MTU.
type Session struct {
	// ID is the PPPoE SESSION_ID from the PADS (RFC 2516 section 5.4).
	ID uint16
	// Local is our MAC (the source of frames we send); Peer the other
	// end's (the AC for a client, the client for an AC).
	Local, Peer pppoe.MAC
	// MTU is the largest IP packet the session carries (e.g. 1454 on NTT
	// FLET'S, 1492 by default); larger packets from the TUN are dropped
	// and TCP SYNs are clamped to MTU-40 (IPv4) / MTU-60 (IPv6).
	MTU int
}

// live is a Session in the form the hot path uses.
type live struct {
	id          uint16
	local, peer pppoe.MAC
	mtu         int
	Session
}

func newLive(s Session) (*live, error) {
	if s.Local.IsZero() || s.Peer.IsZero() {
		return nil, errors.New("dataplane: session needs local and peer MACs")
	}
	if s.ID == 0 || s.ID == 0xffff {
		return nil, errors.New("dataplane: session ID 0 and 0xffff are reserved (RFC 2516 section 4)")
	}
	if s.MTU < 68 || s.MTU > maxPacket {
		return nil, errors.New("dataplane: session MTU out of range")
	}
	l := &live{id: s.ID, mtu: s.MTU, Session: s}
	l.local, l.peer = s.Local, s.Peer
	return l, nil
}

const (
	// maxPacket bounds the IP packets the engine handles (jumbo frames).
	maxPacket = 9216
	// rxBufSize is each link receive buffer: an Ethernet frame fits easily,
	// and the spare capacity lets the TUN coalesce TCP segments written
	// into it (GRO) into one large write.
	rxBufSize = 64 << 10
	// linkBatch is the number of frames read from the link per call.
	linkBatch = 64
)

// engine is the forwarding machinery shared by Client, AC and Tunnel.
type engine struct {
	tun       TUN
	link      Link
	discovery Link
	cnt       counters

	// out picks the session for a packet from the TUN (nil: drop, counted
	// as noOut, DropNoSession when unset).
	out   func(pkt []byte) *live
	noOut DropReason
	// seal, when set, turns the packet at buf[Headroom:Headroom+n] into
	// what is written on the link (default: PPPoE session headers).
	seal func(buf []byte, s *live, n int) []byte
	// open, when set, decodes what the link read into buf[rxOff:rxOff+n]
	// and returns buf resliced so the IP packet sits at buf[Headroom:], or
	// nil after counting a drop (default: inbound, PPPoE frames, rxOff 0).
	open  func(buf []byte, n int) []byte
	rxOff int
	// in picks the live session for a received frame (nil: drop).
	in func(id uint16, src, dst pppoe.MAC) *live
	// control receives non-IP session payloads.
	control func(s *live, ppp []byte)
	// onDiscovery receives discovery frames.
	onDiscovery func(frame []byte)

	wmu sync.Mutex // one writer at a time on the link

	errs   int // consecutive errors of tunToLink
	rxErrs int // consecutive errors of linkToTUN

	// used by tunToLink only: ICMP "packet too big" buffer and rate limit
	ptbBuf              []byte
	ptbSecond, ptbCount int64
}

func (e *engine) writeLink(frames [][]byte) (int, error) {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	return e.link.WriteBatch(frames)
}

// run forwards until ctx is done or the TUN or a link is closed, then
// closes the TUN and links (when they are io.Closers) and waits for its
// goroutines. Other I/O errors (a link that is down for a while) are
// counted and retried, never fatal: the last one shows in Stats.
func (e *engine) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	var wg sync.WaitGroup
	loops := []func() error{e.tunToLink, e.linkToTUN}
	if e.discovery != nil {
		loops = append(loops, e.discoveryLoop)
	}
	for _, f := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil {
				errc <- err
			}
			cancel()
		}()
	}
	<-ctx.Done()
	for _, c := range []any{e.tun, e.link, e.discovery} {
		if cl, ok := c.(io.Closer); ok && c != nil {
			_ = cl.Close()
		}
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// closed reports whether err means the device was closed (normal stop).
func closed(err error) bool {
	return errors.Is(err, os.ErrClosed) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EBADF) ||
		strings.Contains(err.Error(), "use of closed file") // os.File raw conns after Close
}

// tunToLink: packets from the TUN -> PPPoE frames on the link.
func (e *engine) tunToLink() error {
	batch := e.tun.BatchSize()
	if batch < 1 {
		batch = 1
	}
	bufs, free := ring(batch, Headroom+maxPacket)
	defer free()
	sizes := make([]int, batch)
	frames := make([][]byte, 0, batch)
	for {
		n, err := e.tun.Read(bufs, sizes, Headroom)
		e.cnt.tunReads.Add(1)
		frames = frames[:0]
		for i := 0; i < n; i++ {
			if f := e.outbound(bufs[i], sizes[i]); f != nil {
				frames = append(frames, f)
			}
		}
		if len(frames) > 0 {
			sent, werr := e.writeLink(frames)
			if werr != nil {
				if closed(werr) {
					return nil
				}
				e.cnt.drops[DropIO].Add(uint64(len(frames) - sent))
				e.cnt.lastErr.Store(errString{werr.Error()})
			}
		}
		if err != nil {
			if closed(err) {
				return nil
			}
			if !errors.Is(err, tun.ErrTooManySegments) {
				e.pause(err) // e.g. a malformed offload header: drop, go on
			}
			e.cnt.drop(DropIO)
			continue
		}
		e.errs = 0
	}
}

// pause records a non-fatal I/O error and, when errors repeat (a link that
// went down: ENETDOWN until it comes back), sleeps a little so the loop
// does not spin; the forwarder itself keeps running, because a session
// reconnect must find it alive.
func (e *engine) pause(err error) {
	e.cnt.lastErr.Store(errString{err.Error()})
	e.errs++
	if e.errs > 3 {
		d := time.Duration(e.errs) * 10 * time.Millisecond
		if d > time.Second {
			d = time.Second
		}
		time.Sleep(d)
	}
}

// outbound turns the packet at buf[Headroom:Headroom+n] into a frame, or
// counts a drop and returns nil.
func (e *engine) outbound(buf []byte, n int) []byte {
	pkt := buf[Headroom : Headroom+n]
	proto := ipProto(pkt)
	if proto == 0 {
		e.cnt.drop(DropBadIP)
		return nil
	}
	s := e.out(pkt)
	if s == nil {
		if e.noOut != dropNone {
			e.cnt.drop(e.noOut)
		} else {
			e.cnt.drop(DropNoSession)
		}
		return nil
	}
	if n > s.mtu {
		e.cnt.drop(DropTooBig)
		e.tooBig(pkt, s.mtu)
		return nil
	}
	if ClampMSS(pkt, s.mtu) {
		e.cnt.mssClamped.Add(1)
	}
	e.cnt.txPackets.Add(1)
	e.cnt.txBytes.Add(uint64(n))
	if e.seal != nil {
		return e.seal(buf, s, n)
	}
	return putSessionHeaders(buf, s.peer, s.local, s.id, proto, n)
}

// tooBig answers an oversize packet from the TUN with an ICMP "packet too
// big" written back into the TUN, at most ptbPerSecond a second (the stack
// caches the learned MTU, so few are needed).
func (e *engine) tooBig(pkt []byte, mtu int) {
	if e.tun == nil {
		return
	}
	now := time.Now().Unix()
	if now != e.ptbSecond {
		e.ptbSecond, e.ptbCount = now, 0
	}
	if e.ptbCount >= ptbPerSecond {
		return
	}
	if e.ptbBuf == nil {
		e.ptbBuf = make([]byte, Headroom+1280)
	}
	icmp := packetTooBig(e.ptbBuf, pkt, mtu)
	if icmp == nil {
		return
	}
	e.ptbCount++
	if _, err := e.tun.Write([][]byte{e.ptbBuf[:Headroom+len(icmp)]}, Headroom); err == nil {
		e.cnt.packetTooBig.Add(1)
	}
}

const ptbPerSecond = 100

// linkToTUN: frames from the link -> packets to the TUN (IP) or, for
// PPPoE, the control callback (everything else).
func (e *engine) linkToTUN() error {
	bufs, free := ring(linkBatch, rxBufSize)
	defer free()
	rx := bufs // what the link reads into: bufs[i][rxOff:]
	if e.rxOff > 0 {
		rx = make([][]byte, len(bufs))
		for i := range bufs {
			rx[i] = bufs[i][e.rxOff:]
		}
	}
	open := e.inbound
	if e.open != nil {
		open = e.open
	}
	sizes := make([]int, linkBatch)
	pkts := make([][]byte, 0, linkBatch)
	for {
		n, err := e.link.ReadBatch(rx, sizes)
		if err != nil {
			if closed(err) {
				return nil
			}
			e.cnt.drop(DropIO)
			e.pauseRx(err)
			continue
		}
		e.rxErrs = 0
		e.cnt.linkReads.Add(1)
		pkts = pkts[:0]
		for i := 0; i < n; i++ {
			if p := open(bufs[i], sizes[i]); p != nil {
				pkts = append(pkts, p)
			}
		}
		if len(pkts) > 0 {
			if _, err := e.tun.Write(pkts, Headroom); err != nil {
				if closed(err) {
					return nil
				}
				e.cnt.drop(DropIO)
			}
		}
	}
}

// inbound handles one received frame in buf[:n]. For an IP packet it
// returns buf resliced so the packet sits at buf[Headroom:]; otherwise nil.
func (e *engine) inbound(buf []byte, n int) []byte {
	in, reason := ParseSessionFrame(buf[:n])
	if reason != dropNone {
		e.cnt.drop(reason)
		return nil
	}
	var dst pppoe.MAC
	copy(dst[:], buf[0:6])
	s := e.in(in.SessionID, in.Src, dst)
	if s == nil {
		e.cnt.drop(DropUnknownSession)
		return nil
	}
	switch in.Proto {
	case ProtoIPv4, ProtoIPv6:
		pkt := in.Payload
		if off := cap(buf) - cap(pkt); off != Headroom {
			// compressed protocol field: move the packet into place
			pkt = buf[Headroom : Headroom+copy(buf[Headroom:], pkt)]
		}
		if ClampMSS(pkt, s.mtu) {
			e.cnt.mssClamped.Add(1)
		}
		e.cnt.rxPackets.Add(1)
		e.cnt.rxBytes.Add(uint64(len(pkt)))
		return buf[:Headroom+len(pkt)]
	default:
		e.cnt.controlIn.Add(1)
		if e.control != nil {
			e.control(s, append([]byte(nil), in.PPP...))
		}
		return nil
	}
}

// pauseRx is pause for the receive loop (each loop keeps its own count).
func (e *engine) pauseRx(err error) {
	e.cnt.lastErr.Store(errString{err.Error()})
	e.rxErrs++
	if e.rxErrs > 3 {
		d := time.Duration(e.rxErrs) * 10 * time.Millisecond
		if d > time.Second {
			d = time.Second
		}
		time.Sleep(d)
	}
}

func (e *engine) discoveryLoop() error {
	bufs := [][]byte{make([]byte, 2048), make([]byte, 2048), make([]byte, 2048), make([]byte, 2048)}
	sizes := make([]int, len(bufs))
	for {
		n, err := e.discovery.ReadBatch(bufs, sizes)
		if err != nil {
			if closed(err) {
				return nil
			}
			e.cnt.lastErr.Store(errString{err.Error()})
			time.Sleep(100 * time.Millisecond) // link down: wait for it
			continue
		}
		for i := 0; i < n; i++ {
			e.cnt.discoveryIn.Add(1)
			if e.onDiscovery != nil {
				e.onDiscovery(append([]byte(nil), bufs[i][:sizes[i]]...))
			}
		}
	}
}

// sendControl sends one PPP frame (protocol field first) in session s.
func (e *engine) sendControl(s *live, ppp []byte) error {
	if len(ppp) < 2 {
		return errors.New("dataplane: control frame shorter than a PPP protocol field")
	}
	f := BuildSessionFrame(s.peer, s.local, s.id, ppp)
	if _, err := e.writeLink([][]byte{f}); err != nil {
		return err
	}
	e.cnt.controlOut.Add(1)
	return nil
}

func (e *engine) sendDiscovery(frame []byte) error {
	if e.discovery == nil {
		return errors.New("dataplane: no discovery link configured")
	}
	_, err := e.discovery.WriteBatch([][]byte{frame})
	return err
}
