package hostnet

import (
	"errors"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// ApplyFirewall installs (or atomically replaces) the nftables table
// `inet dualpath`: on its input and forward hooks, packets that arrive
// through spec.Interface are accepted when they belong to an established or
// related connection, go to a listed TCP/UDP port, or are ICMP(v6) echo
// requests with spec.ICMPEcho; all others from that interface are dropped.
// Packets on other interfaces pass untouched. Other tables' accepts cannot
// override these drops (every base chain on a hook must accept). The table is recorded once in the journal and
// deleted whole on undo.
func (j *Journal) ApplyFirewall(spec FirewallSpec) error {
	if spec.Interface == "" || len(spec.Interface) >= unix.IFNAMSIZ {
		return fmt.Errorf("firewall: invalid interface name %q", spec.Interface)
	}
	j.mu.Lock()
	recorded := false
	for _, r := range j.live {
		recorded = recorded || r.Op == "nft"
	}
	j.mu.Unlock()
	if recorded {
		return j.installFirewall(spec)
	}
	return j.apply(record{Op: "nft", Link: spec.Interface}, func() error { return j.installFirewall(spec) })
}

// The "nft" change: the dualpath nftables table, deleted whole on undo.
type nftOp struct{}

func init() { registerOp("nft", nftOp{}) }

func (nftOp) undo(j *Journal, _ record) error { return j.deleteFirewall() }

func (nftOp) describe(record) Change {
	return Change{"nftables", "nftables table inet " + FirewallTable}
}

// RemoveFirewall deletes the dualpath table now and forgets it.
func (j *Journal) RemoveFirewall() error {
	_, err := j.remove(func(r record) bool { return r.Op == "nft" })
	return err
}

// nft returns an nftables connection whose socket is opened once, on a
// thread in the journal's namespace (runInNS does not call setns(2) when the
// caller is already there, so CAP_NET_ADMIN is enough). Close it with
// CloseLasting.
func (j *Journal) nft() (*nftables.Conn, error) {
	var c *nftables.Conn
	err := j.inNS(func() (err error) {
		c, err = nftables.New(nftables.AsLasting())
		return err
	})
	if err != nil {
		return nil, actionable("nftables", err)
	}
	return c, nil
}

func (j *Journal) installFirewall(spec FirewallSpec) error {
	c, err := j.nft()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	tbl := &nftables.Table{Family: nftables.TableFamilyINet, Name: FirewallTable}
	// add + delete + add in one batch: atomic replace whether or not the
	// table existed (the batch either applies whole or not at all).
	c.AddTable(tbl)
	c.DelTable(tbl)
	c.AddTable(tbl)
	for _, hook := range []struct {
		name string
		num  *nftables.ChainHook
	}{{"input", nftables.ChainHookInput}, {"forward", nftables.ChainHookForward}} {
		accept := nftables.ChainPolicyAccept
		ch := c.AddChain(&nftables.Chain{
			Name: hook.name, Table: tbl, Type: nftables.ChainTypeFilter,
			Hooknum: hook.num, Priority: nftables.ChainPriorityFilter, Policy: &accept,
		})
		for _, exprs := range firewallRules(spec) {
			c.AddRule(&nftables.Rule{Table: tbl, Chain: ch, Exprs: append(matchIIF(spec.Interface), exprs...)})
		}
	}
	if err := c.Flush(); err != nil {
		return actionable("install nftables table inet "+FirewallTable, err)
	}
	return nil
}

// firewallRules returns the rules of both chains (each to be prefixed by
// the interface match): the same policy applies to packets for this host
// (input) and to packets it forwards (forward: containers, VMs, port
// forwards), so a service published by Docker is not reachable on the PPPoE
// address unless its port is listed. Ports are matched on the conntrack
// original destination port, i.e. the port the outside asked for, before
// any DNAT/REDIRECT.
func firewallRules(spec FirewallSpec) [][]expr.Any {
	var rules [][]expr.Any
	acceptV := &expr.Verdict{Kind: expr.VerdictAccept}
	// ct state established,related accept
	rules = append(rules, []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
			Xor:  make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		acceptV,
	})
	port := func(proto byte, p uint16) {
		rules = append(rules, []expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Ct{Register: 1, Key: expr.CtKeyPROTODST, Direction: 0}, // original direction
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(p)},
			acceptV,
		})
	}
	for _, p := range spec.TCP {
		port(unix.IPPROTO_TCP, p)
	}
	for _, p := range spec.UDP {
		port(unix.IPPROTO_UDP, p)
	}
	icmpType := func(nfproto, proto, typ byte) {
		rules = append(rules, []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nfproto}},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{typ}},
			acceptV,
		})
	}
	if spec.ICMPEcho {
		icmpType(unix.NFPROTO_IPV4, unix.IPPROTO_ICMP, 8)     // echo-request
		icmpType(unix.NFPROTO_IPV6, unix.IPPROTO_ICMPV6, 128) // echo-request
	}
	// IPv6 over PPP still needs router and neighbour discovery (RFC 5072
	// section 5); these never leave the link.
	for _, t := range []byte{133, 134, 135, 136} {
		icmpType(unix.NFPROTO_IPV6, unix.IPPROTO_ICMPV6, t)
	}
	return append(rules, []expr.Any{&expr.Verdict{Kind: expr.VerdictDrop}})
}

func matchIIF(name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
	}
}

func (j *Journal) deleteFirewall() error {
	c, err := j.nft()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	c.DelTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: FirewallTable})
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	return nil
}
