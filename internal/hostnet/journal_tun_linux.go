package hostnet

import (
	"fmt"

	"golang.zx2c4.com/wireguard/tun"
)

// The "tun" change: a TUN device (it goes away with its descriptor).
type tunOp struct{}

func init() { registerOp("tun", tunOp{}) }

// CreateTUN creates TUN device name with the given MTU (with virtio-net
// offloads where the kernel allows, so reads and writes are batched) and
// brings it up. Undo closes the device, which removes it. The device's
// Events channel is drained by the journal (watch the link with netlink if
// you need its state).
func (j *Journal) CreateTUN(name string, mtu int) (tun.Device, error) {
	var dev tun.Device
	if _, err := j.nl.LinkByName(name); err == nil {
		return nil, fmt.Errorf("create TUN %s: a device of that name already exists (ip link del %s, if it is a leftover)", name, name)
	}
	r := record{Op: "tun", Link: name}
	err := j.apply(r, func() error {
		err := j.inNS(func() error {
			var err error
			dev, err = tun.CreateTUN(name, mtu)
			return err
		})
		if err != nil {
			return actionable("create TUN "+name, err)
		}
		if err := j.setUp(name); err != nil {
			dev.Close() // a non-persistent TUN goes away with its descriptor
			return err
		}
		// Nobody in dualpath consumes the device's event channel; drain
		// it so the library's listener goroutines never block and can
		// exit (releasing their netlink socket) when the device closes.
		go func(ev <-chan tun.Event) {
			for range ev {
			}
		}(dev.Events())
		j.tuns[name] = dev
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dev, nil
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
