package dataplane

import "sync/atomic"

// Stats is a snapshot of a forwarder's counters. "Tx" is towards the link
// (TUN -> PPPoE), "Rx" from it (PPPoE -> TUN). Bytes count IP packets
// (without Ethernet, PPPoE and PPP headers).
type Stats struct {
	TxPackets, TxBytes uint64
	RxPackets, RxBytes uint64
	// ControlIn/ControlOut count non-IP session frames handed to or sent
	// for the control plane; DiscoveryIn counts discovery frames handed up.
	ControlIn, ControlOut, DiscoveryIn uint64
	// MSSClamped counts TCP SYNs whose MSS option was lowered.
	MSSClamped uint64
	// PacketTooBig counts ICMP/ICMPv6 "packet too big" errors given back to
	// the local stack for packets over the session MTU (each such packet
	// is also a too_big drop).
	PacketTooBig uint64
	// TUNReads and LinkReads count read calls; TxPackets/TUNReads > 1
	// shows GSO splitting and batching at work (likewise for the link).
	TUNReads, LinkReads uint64
	// Drops counts dropped frames/packets by reason.
	Drops map[DropReason]uint64
	// LastError is the last I/O error the forwarder retried after ("" if
	// none), e.g. "network is down" while the LAN link is down.
	LastError string
}

// DropsByName returns Drops keyed by metric label ("bad_length", ...),
// with every reason present (zero when nothing was dropped).
func (s Stats) DropsByName() map[string]uint64 {
	m := make(map[string]uint64, numDropReasons-1)
	for r := DropReason(1); r < numDropReasons; r++ {
		m[r.String()] = s.Drops[r]
	}
	return m
}

// counters are the live, atomically updated counters behind Stats.
type counters struct {
	txPackets, txBytes, rxPackets, rxBytes atomic.Uint64
	controlIn, controlOut, discoveryIn     atomic.Uint64
	mssClamped, tunReads, linkReads        atomic.Uint64
	packetTooBig                           atomic.Uint64
	drops                                  [numDropReasons]atomic.Uint64
	lastErr                                atomic.Value // errString
}

type errString struct{ s string }

func (c *counters) drop(r DropReason) { c.drops[r].Add(1) }

func (c *counters) snapshot() Stats {
	s := Stats{
		TxPackets: c.txPackets.Load(), TxBytes: c.txBytes.Load(),
		RxPackets: c.rxPackets.Load(), RxBytes: c.rxBytes.Load(),
		ControlIn: c.controlIn.Load(), ControlOut: c.controlOut.Load(), DiscoveryIn: c.discoveryIn.Load(),
		MSSClamped: c.mssClamped.Load(), PacketTooBig: c.packetTooBig.Load(), TUNReads: c.tunReads.Load(), LinkReads: c.linkReads.Load(),
		Drops: map[DropReason]uint64{},
	}
	if e, ok := c.lastErr.Load().(errString); ok {
		s.LastError = e.s
	}
	for r := DropReason(1); r < numDropReasons; r++ {
		if v := c.drops[r].Load(); v > 0 {
			s.Drops[r] = v
		}
	}
	return s
}
