//go:build !linux

package hostnet

import (
	"net"
	"net/netip"
	"time"

	"golang.zx2c4.com/wireguard/tun"
)

// Journal records host changes; on this OS every method fails with
// ErrUnsupportedOS.
type Journal struct{}

// OpenJournal fails with ErrUnsupportedOS.
func OpenJournal(path string) (*Journal, error) { return nil, ErrUnsupportedOS }

// InNamespace fails with ErrUnsupportedOS.
func InNamespace(name string, fn func() error) error { return ErrUnsupportedOS }

// Recovered returns nothing.
func (j *Journal) Recovered() []Change { return nil }

// Changes returns nothing.
func (j *Journal) Changes() []Change { return nil }

// Path returns "".
func (j *Journal) Path() string { return "" }

// AddAddress fails with ErrUnsupportedOS.
func (j *Journal) AddAddress(link string, p netip.Prefix) error { return ErrUnsupportedOS }

// RemoveAddress fails with ErrUnsupportedOS.
func (j *Journal) RemoveAddress(link string, p netip.Prefix) error { return ErrUnsupportedOS }

// AddRule fails with ErrUnsupportedOS.
func (j *Journal) AddRule(from netip.Addr, table, priority int) error { return ErrUnsupportedOS }

// ReplaceRuleAddress fails with ErrUnsupportedOS.
func (j *Journal) ReplaceRuleAddress(old, new netip.Addr) error { return ErrUnsupportedOS }

// RemoveRule fails with ErrUnsupportedOS.
func (j *Journal) RemoveRule(from netip.Addr, table, priority int) error { return ErrUnsupportedOS }

// AddRoute fails with ErrUnsupportedOS.
func (j *Journal) AddRoute(table int, dst netip.Prefix, dev string) error { return ErrUnsupportedOS }

// SetSysctl fails with ErrUnsupportedOS.
func (j *Journal) SetSysctl(key, value string) error { return ErrUnsupportedOS }

// Sysctl fails with ErrUnsupportedOS.
func (j *Journal) Sysctl(key string) (string, error) { return "", ErrUnsupportedOS }

// CreateTUN fails with ErrUnsupportedOS.
func (j *Journal) CreateTUN(name string, mtu int) (tun.Device, error) { return nil, ErrUnsupportedOS }

// CreateMacvlan fails with ErrUnsupportedOS.
func (j *Journal) CreateMacvlan(parent, name string) (net.HardwareAddr, error) {
	return nil, ErrUnsupportedOS
}

// SetMTU fails with ErrUnsupportedOS.
func (j *Journal) SetMTU(link string, mtu int) error { return ErrUnsupportedOS }

// ApplyFirewall fails with ErrUnsupportedOS.
func (j *Journal) ApplyFirewall(spec FirewallSpec) error { return ErrUnsupportedOS }

// RemoveFirewall fails with ErrUnsupportedOS.
func (j *Journal) RemoveFirewall() error { return ErrUnsupportedOS }

// UndoAll fails with ErrUnsupportedOS.
func (j *Journal) UndoAll() error { return ErrUnsupportedOS }

// Close does nothing.
func (j *Journal) Close() error { return nil }

// PacketConn is a raw Ethernet socket; on this OS it cannot be opened.
type PacketConn struct{}

// OpenPacketConn fails with ErrUnsupportedOS.
func OpenPacketConn(ifname string, etherTypes ...uint16) (*PacketConn, error) {
	return nil, ErrUnsupportedOS
}

// TxQueueDrops returns 0.
func (c *PacketConn) TxQueueDrops() uint64 { return 0 }

// HardwareAddr returns nil.
func (c *PacketConn) HardwareAddr() net.HardwareAddr { return nil }

// Interface returns nil.
func (c *PacketConn) Interface() *net.Interface { return nil }

// Close does nothing.
func (c *PacketConn) Close() error { return nil }

// SetReadDeadline fails with ErrUnsupportedOS.
func (c *PacketConn) SetReadDeadline(t time.Time) error { return ErrUnsupportedOS }

// ReadFrame fails with ErrUnsupportedOS.
func (c *PacketConn) ReadFrame(b []byte) (int, error) { return 0, ErrUnsupportedOS }

// WriteFrame fails with ErrUnsupportedOS.
func (c *PacketConn) WriteFrame(b []byte) error { return ErrUnsupportedOS }

// ReadBatch fails with ErrUnsupportedOS.
func (c *PacketConn) ReadBatch(bufs [][]byte, sizes []int) (int, error) { return 0, ErrUnsupportedOS }

// WriteBatch fails with ErrUnsupportedOS.
func (c *PacketConn) WriteBatch(bufs [][]byte) (int, error) { return 0, ErrUnsupportedOS }

// IPIP6Conn is a raw IPv4-in-IPv6 socket; on this OS it cannot be opened.
type IPIP6Conn struct{}

// OpenIPIP6 fails with ErrUnsupportedOS.
func OpenIPIP6(remote, source netip.Addr) (*IPIP6Conn, error) { return nil, ErrUnsupportedOS }

// SetSource does nothing.
func (c *IPIP6Conn) SetSource(a netip.Addr) {}

// Remote returns the zero address.
func (c *IPIP6Conn) Remote() netip.Addr { return netip.Addr{} }

// Close does nothing.
func (c *IPIP6Conn) Close() error { return nil }

// TxQueueDrops returns 0.
func (c *IPIP6Conn) TxQueueDrops() uint64 { return 0 }

// ReadBatch fails with ErrUnsupportedOS.
func (c *IPIP6Conn) ReadBatch(bufs [][]byte, sizes []int) (int, error) { return 0, ErrUnsupportedOS }

// WriteBatch fails with ErrUnsupportedOS.
func (c *IPIP6Conn) WriteBatch(bufs [][]byte) (int, error) { return 0, ErrUnsupportedOS }

// AddEndpointAddress fails with ErrUnsupportedOS.
func (j *Journal) AddEndpointAddress(link string, a netip.Addr) error { return ErrUnsupportedOS }
