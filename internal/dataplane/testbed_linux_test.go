package dataplane

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/netnstest"
	"github.com/dualpath/dualpath/pppoe"
)

// testbed is two namespaces linked by a veth: "cli" runs a Client on TUN
// dp0 (100.64.0.2, fd00:64::2), "ac" runs an AC on TUN ac0 (100.64.0.1,
// fd00:64::1), with a fixed session between them and no PPP control plane.
type testbed struct {
	cli, ac         *netnstest.NS
	client          *Client
	acp             *AC
	cliMAC, acMAC   pppoe.MAC
	inject          *hostnet.PacketConn // raw socket on the ac side, for hand-made frames
	sess            Session
	controlAtClient chan []byte
	controlAtAC     chan []byte
	discAtClient    chan []byte
}

const testSessionID = 0x1234

type bedOptions struct {
	sessionMTU int // default 1454
	tunMTU     int // both TUNs; default sessionMTU
	// acSessionMTU is the AC's idea of the session MTU; default sessionMTU.
	acSessionMTU int
}

func newTestbed(t testing.TB, o bedOptions) *testbed {
	t.Helper()
	if o.sessionMTU == 0 {
		o.sessionMTU = 1454
	}
	if o.tunMTU == 0 {
		o.tunMTU = o.sessionMTU
	}
	if o.acSessionMTU == 0 {
		o.acSessionMTU = o.sessionMTU
	}
	b := &testbed{cli: netnstest.New(t, "dpc"), ac: netnstest.New(t, "dpa"),
		controlAtClient: make(chan []byte, 16), controlAtAC: make(chan []byte, 16), discAtClient: make(chan []byte, 16)}
	netnstest.Veth(t, b.cli, "eth0", b.ac, "eth0")
	ctx, cancel := context.WithCancel(context.Background())
	var runs []chan error
	t.Cleanup(func() {
		cancel()
		for _, r := range runs {
			select {
			case err := <-r:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Error("Run did not return after cancel")
			}
		}
	})
	side := func(ns *netnstest.NS, tunName string) (TUN, *hostnet.PacketConn, *hostnet.PacketConn) {
		var dev TUN
		var link, disc *hostnet.PacketConn
		err := hostnet.InNamespace(ns.Name, func() error {
			j, err := hostnet.OpenJournal(filepath.Join(t.TempDir(), "journal"))
			if err != nil {
				return err
			}
			t.Cleanup(func() { j.UndoAll(); j.Close() })
			if dev, err = j.CreateTUN(tunName, o.tunMTU); err != nil {
				return err
			}
			if link, err = hostnet.OpenPacketConn("eth0", pppoe.EtherTypeSession); err != nil {
				return err
			}
			disc, err = hostnet.OpenPacketConn("eth0", pppoe.EtherTypeDiscovery)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return dev, link, disc
	}
	cliTUN, cliLink, cliDisc := side(b.cli, "dp0")
	acTUN, acLink, acDisc := side(b.ac, "ac0")
	b.cliMAC, b.acMAC = pppoe.MAC(cliLink.HardwareAddr()), pppoe.MAC(acLink.HardwareAddr())
	b.cli.MustRun("ip", "addr", "add", "100.64.0.2", "peer", "100.64.0.1", "dev", "dp0")
	b.cli.MustRun("ip", "-6", "addr", "add", "fd00:64::2/128", "dev", "dp0", "nodad")
	b.cli.MustRun("ip", "-6", "route", "add", "fd00:64::1/128", "dev", "dp0")
	b.ac.MustRun("ip", "addr", "add", "100.64.0.1", "peer", "100.64.0.2", "dev", "ac0")
	b.ac.MustRun("ip", "-6", "addr", "add", "fd00:64::1/128", "dev", "ac0", "nodad")
	b.ac.MustRun("ip", "-6", "route", "add", "fd00:64::2/128", "dev", "ac0")
	if err := hostnet.InNamespace(b.ac.Name, func() (err error) {
		b.inject, err = hostnet.OpenPacketConn("eth0", 0x88b5)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.inject.Close() })

	b.sess = Session{ID: testSessionID, Local: b.cliMAC, Peer: b.acMAC, MTU: o.sessionMTU}
	b.client = NewClient(ClientConfig{TUN: cliTUN, Link: cliLink, Discovery: cliDisc, OnDiscovery: func(f []byte) {
		select {
		case b.discAtClient <- f:
		default:
		}
	}, OnControl: func(p []byte) {
		select {
		case b.controlAtClient <- p:
		default:
		}
	}})
	if err := b.client.SetSession(b.sess); err != nil {
		t.Fatal(err)
	}
	b.acp = NewAC(ACConfig{TUN: acTUN, Link: acLink, Discovery: acDisc, OnControl: func(id uint16, peer pppoe.MAC, p []byte) {
		select {
		case b.controlAtAC <- p:
		default:
		}
	}})
	if err := b.acp.AddSession(Session{ID: testSessionID, Local: b.acMAC, Peer: b.cliMAC, MTU: o.acSessionMTU},
		netip.MustParsePrefix("100.64.0.2/32"), netip.MustParsePrefix("fd00:64::2/128")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []interface{ Run(context.Context) error }{b.client, b.acp} {
		done := make(chan error, 1)
		runs = append(runs, done)
		go func() { done <- r.Run(ctx) }()
	}
	return b
}
