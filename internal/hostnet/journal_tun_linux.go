package hostnet

import (
	"fmt"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

// The "tun" change: a TUN device (it goes away with its descriptor).
type tunOp struct{}

func init() { registerOp("tun", tunOp{}) }

// CreateTUN creates TUN device name with the given MTU (with virtio-net
// offloads where the kernel allows, so reads and writes are batched) and
// brings it up. Undo closes the device, which removes it. The device sends
// no events (watch the link with netlink if you need its state).
func (j *Journal) CreateTUN(name string, mtu int) (tun.Device, error) {
	var dev tun.Device
	if _, err := j.nl.LinkByName(name); err == nil {
		return nil, fmt.Errorf("create TUN %s: a device of that name already exists (ip link del %s, if it is a leftover)", name, name)
	}
	r := record{Op: "tun", Link: name}
	err := j.apply(r, func() error {
		err := j.inNS(func() error {
			var err error
			dev, err = openTUN(name)
			return err
		})
		if err != nil {
			return actionable("create TUN "+name, err)
		}
		err = j.SetMTU(name, mtu)
		if err == nil {
			err = j.setUp(name)
		}
		if err != nil {
			dev.Close() // a non-persistent TUN goes away with its descriptor
			return err
		}
		j.tuns[name] = dev
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dev, nil
}

// openTUN creates TUN device name with virtio-net headers (IFF_VNET_HDR:
// the library then turns on the kernel's TCP/UDP offloads and batches) as
// an unmonitored device. A monitored one (tun.CreateTUN) keeps a netlink
// listener blocked in poll, which holds an OS thread for the daemon's
// life, and writes to the device every second to learn whether it is up;
// nothing in dualpath reads those events.
func openTUN(name string) (tun.Device, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	// From here the library owns fd (as an *os.File that closes it).
	dev, _, err := tun.CreateUnmonitoredTUNFromFD(fd)
	return dev, err
}

func (tunOp) undo(j *Journal, r record) error {
	if dev := j.tuns[r.Link]; dev != nil {
		_ = dev.Close()
		delete(j.tuns, r.Link)
	}
	l, err := j.nl.LinkByName(r.Link)
	if err == nil && l.Type() == "tuntap" {
		err = j.nl.LinkDel(l)
	}
	return err
}

func (tunOp) describe(r record) Change { return Change{"tun", "TUN device " + r.Link} }
