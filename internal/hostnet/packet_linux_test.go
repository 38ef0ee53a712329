package hostnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

func frame(dst, src net.HardwareAddr, etherType uint16, payload string) []byte {
	b := append(append(append([]byte{}, dst...), src...), 0, 0)
	binary.BigEndian.PutUint16(b[12:], etherType)
	return append(b, payload...)
}

// TestPacketConnFiltersEtherTypesAndBatches sends a batch of frames of mixed
// Ethernet types across a veth; the receiver opened for PPPoE types sees
// exactly the PPPoE ones, in order, and never its own outgoing frames.
func TestPacketConnFiltersEtherTypesAndBatches(t *testing.T) {
	a, b := netnstest.New(t, "pa"), netnstest.New(t, "pb")
	netnstest.Veth(t, a, "eth0", b, "eth0")
	var tx, rx, rxSes *PacketConn
	if err := InNamespace(a.Name, func() (err error) { tx, err = OpenPacketConn("eth0", 0x88b5); return err }); err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if err := InNamespace(b.Name, func() (err error) {
		if rx, err = OpenPacketConn("eth0", 0x8863, 0x8864); err != nil {
			return err
		}
		rxSes, err = OpenPacketConn("eth0", 0x8864)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	defer rxSes.Close()

	// rx's own outgoing frame must not come back to it
	if err := rx.WriteFrame(frame(tx.HardwareAddr(), rx.HardwareAddr(), 0x8863, "own")); err != nil {
		t.Fatal(err)
	}
	dst, src := rx.HardwareAddr(), tx.HardwareAddr()
	batch := [][]byte{
		frame(dst, src, 0x0800, "ipv4"),
		frame(dst, src, 0x8863, "disc1"),
		frame(dst, src, 0x86dd, "ipv6"),
		frame(dst, src, 0x8864, "sess1"),
		frame(dst, src, 0x8864, "sess2"),
	}
	if n, err := tx.WriteBatch(batch); err != nil || n != len(batch) {
		t.Fatalf("WriteBatch = %d, %v", n, err)
	}
	read := func(c *PacketConn, want int) []string {
		var got []string
		bufs := make([][]byte, 8)
		for i := range bufs {
			bufs[i] = make([]byte, 2048)
		}
		sizes := make([]int, 8)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		for len(got) < want {
			n, err := c.ReadBatch(bufs, sizes)
			if err != nil {
				t.Fatalf("ReadBatch after %v: %v", got, err)
			}
			for i := 0; i < n; i++ {
				if !bytes.Equal(bufs[i][6:12], src) {
					t.Errorf("frame from %x", bufs[i][6:12])
				}
				got = append(got, string(bufs[i][14:sizes[i]]))
			}
		}
		return got
	}
	if got := strings.Join(read(rx, 3), ","); !strings.HasPrefix(got, "disc1,sess1,sess2") {
		t.Errorf("discovery+session conn got %q", got)
	}
	if got := strings.Join(read(rxSes, 2), ","); got != "sess1,sess2" {
		t.Errorf("session conn got %q", got)
	}
	// nothing else pending (the veth padded frames are fine; ipv4/ipv6/own must not appear)
	rx.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := rx.ReadFrame(make([]byte, 2048)); err == nil {
		t.Errorf("unexpected extra frame of %d bytes", n)
	}
}

func TestOpenPacketConnMissingInterface(t *testing.T) {
	a := netnstest.New(t, "pm")
	err := InNamespace(a.Name, func() error { _, err := OpenPacketConn("enp9s0", 0x8864); return err })
	if err == nil || !strings.Contains(err.Error(), "interface enp9s0 not found (ip link shows: lo)") {
		t.Fatalf("err = %v", err)
	}
}

func TestPacketConnClosedErrors(t *testing.T) {
	a := netnstest.New(t, "pc")
	var c *PacketConn
	if err := InNamespace(a.Name, func() (err error) { c, err = OpenPacketConn("lo", 0x8864); return err }); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.ReadBatch([][]byte{make([]byte, 100)}, []int{0})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the read block (not a timing assertion)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("blocked ReadBatch after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("ReadBatch still blocked after Close")
	}
	if _, err := c.WriteBatch([][]byte{make([]byte, 60)}); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WriteBatch after Close: %v", err)
	}
}
