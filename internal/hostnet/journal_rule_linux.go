package hostnet

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The "rule" change: a policy rule `from ADDR lookup TABLE priority N`.
type ruleOp struct{}

func init() { registerOp("rule", ruleOp{}) }

// AddRule adds the policy rule `from <from> lookup <table> priority <priority>`.
func (j *Journal) AddRule(from netip.Addr, table, priority int) error {
	if !from.IsValid() || table <= 0 {
		return fmt.Errorf("add rule: need a source address and a table (got %v, %d)", from, table)
	}
	r := record{Op: "rule", From: from.String(), Table: table, Priority: priority}
	return j.apply(r, func() error {
		return actionable("add rule from "+from.String(), j.nl.RuleAdd(rule(r)))
	})
}

// ReplaceRuleAddress moves every rule recorded with source old to source new
// (same table and priority): the new rule is added before the old one goes,
// so replies never lack a rule.
func (j *Journal) ReplaceRuleAddress(old, new netip.Addr) error {
	j.mu.Lock()
	var moves []record
	for _, r := range j.live {
		if r.Op == "rule" && r.From == old.String() {
			moves = append(moves, r)
		}
	}
	j.mu.Unlock()
	for _, r := range moves {
		if old == new {
			continue
		}
		if err := j.AddRule(new, r.Table, r.Priority); err != nil {
			return err
		}
		id := r.ID
		if _, err := j.remove(func(x record) bool { return x.ID == id }); err != nil {
			return err
		}
	}
	return nil
}

// RemoveRule removes a rule added by AddRule and forgets it.
func (j *Journal) RemoveRule(from netip.Addr, table, priority int) error {
	_, err := j.remove(func(r record) bool {
		return r.Op == "rule" && r.From == from.String() && r.Table == table && r.Priority == priority
	})
	return err
}

func (ruleOp) undo(j *Journal, r record) error { return j.nl.RuleDel(rule(r)) }

func (ruleOp) describe(r record) Change {
	return Change{"rule", fmt.Sprintf("rule from %s lookup %d priority %d", r.From, r.Table, r.Priority)}
}

func rule(r record) *netlink.Rule {
	a, _ := netip.ParseAddr(r.From)
	nr := netlink.NewRule()
	nr.Src = ipNet(netip.PrefixFrom(a, a.BitLen()))
	nr.Table = r.Table
	nr.Priority = r.Priority
	nr.Family = unix.AF_INET
	if a.Is6() {
		nr.Family = unix.AF_INET6
	}
	return nr
}
