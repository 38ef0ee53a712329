package hostnet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

// record is one line of the journal file. Op is "open" (header: namespace
// and pid of the writer), "forget" (the change Forget was undone or handed
// back), or one change kind: "addr", "rule", "route", "sysctl", "tun",
// "macvlan", "nft".
type record struct {
	ID       int    `json:"id"`
	Op       string `json:"op"`
	Link     string `json:"link,omitempty"`
	Parent   string `json:"parent,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	From     string `json:"from,omitempty"`
	Table    int    `json:"table,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Key      string `json:"key,omitempty"`
	Old      string `json:"old,omitempty"`
	Value    string `json:"value,omitempty"`
	Forget   int    `json:"forget,omitempty"`
	NetNS    string `json:"netns,omitempty"`
	BootID   string `json:"boot,omitempty"`
	PID      int    `json:"pid,omitempty"`
}

// Journal records every change dualpath makes to the host and undoes them.
// It is bound to the network namespace that was current when OpenJournal
// ran; its methods may be called from any goroutine.
type Journal struct {
	path string

	mu        sync.Mutex
	f         *os.File
	ns        netns.NsHandle
	nsID      string
	nl        *netlink.Handle
	live      []record // changes in force, in order of making
	nextID    int
	tuns      map[string]tun.Device
	recovered []Change
	closed    bool
}

// OpenJournal opens (creating if needed, mode 0600) the journal at path and
// takes an exclusive lock on it, so that two dualpath processes never share
// one. If the file holds changes of an earlier run that did not undo them (a
// crash or SIGKILL), they are undone first, in reverse order; Recovered lists
// them. A journal written in another network namespace is refused rather
// than applied here.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("journal %s is in use by another dualpath process: stop it first", path)
		}
		return nil, fmt.Errorf("lock journal %s: %w", path, err)
	}
	ns, err := threadNS()
	if err != nil {
		f.Close()
		return nil, err
	}
	j := &Journal{path: path, f: f, ns: ns, nsID: ns.UniqueId(), tuns: map[string]tun.Device{}}
	// The calling thread is in ns (threadNS just read it, and InNamespace
	// keeps the thread locked), so a plain handle binds its sockets to ns
	// without setns(2), which would need CAP_SYS_ADMIN: the daemon runs with
	// CAP_NET_ADMIN and CAP_NET_RAW only.
	j.nl, err = netlink.NewHandle()
	if err != nil {
		j.closeHandles()
		return nil, actionable("netlink", err)
	}
	old, err := readRecords(f)
	if err != nil {
		j.closeHandles()
		return nil, err
	}
	if len(old) > 0 && old[0].Op == "open" && old[0].BootID != "" && old[0].BootID != bootID() {
		// written before a reboot: none of its kernel state survived, and
		// namespace identities are not comparable across boots
		old = nil
	}
	if len(old) > 0 {
		if hdr := old[0]; hdr.Op == "open" && hdr.NetNS != "" && hdr.NetNS != j.nsID {
			j.closeHandles()
			return nil, fmt.Errorf("journal %s was written in another network namespace (%s, this is %s): run dualpath there to clean up", path, hdr.NetNS, j.nsID)
		}
		j.live = liveChanges(old)
		for _, r := range j.live {
			if r.ID >= j.nextID {
				j.nextID = r.ID + 1
			}
		}
		var errs []error
		for i := len(j.live) - 1; i >= 0; i-- {
			r := j.live[i]
			if err := j.undo(r); err != nil {
				errs = append(errs, fmt.Errorf("clean up %s: %w", describe(r).What, err))
				continue
			}
			j.recovered = append(j.recovered, describe(r))
		}
		if len(errs) > 0 {
			j.closeHandles()
			return nil, errors.Join(errs...)
		}
		j.live = nil
	}
	if err := j.reset(); err != nil {
		j.closeHandles()
		return nil, err
	}
	return j, nil
}

// threadNS returns a handle to the network namespace of the calling thread.
func threadNS() (netns.NsHandle, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ns, err := netns.Get()
	if err != nil {
		return ns, fmt.Errorf("current network namespace: %w", err)
	}
	return ns, nil
}

// readRecords parses the journal file from its start.
func readRecords(f *os.File) ([]record, error) {
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	return parseRecords(f, f.Name())
}

// parseRecords parses journal lines; a torn last line (crash mid-write) is
// ignored, any other bad line is an error.
func parseRecords(r io.Reader, name string) ([]record, error) {
	var out []record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var bad error
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if bad != nil {
			return nil, bad
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			bad = fmt.Errorf("journal %s: unreadable line %q: remove the file after checking `ip rule`, `ip route show table all` and `nft list tables` by hand", name, line)
			continue
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// liveChanges returns the change records not forgotten later, in order.
func liveChanges(rs []record) []record {
	forgotten := map[int]bool{}
	for _, r := range rs {
		if r.Op == "forget" {
			forgotten[r.Forget] = true
		}
	}
	var out []record
	for _, r := range rs {
		if r.Op != "open" && r.Op != "forget" && !forgotten[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// reset truncates the journal and writes a fresh header.
func (j *Journal) reset() error {
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return j.write(record{Op: "open", NetNS: j.nsID, BootID: bootID(), PID: os.Getpid()})
}

// bootID identifies the running kernel instance (changes at every boot).
func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// write appends one record and fsyncs it.
func (j *Journal) write(r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("journal write: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal sync: %w", err)
	}
	return nil
}

// Recovered lists what OpenJournal cleaned up from an earlier run (empty
// after a clean exit).
func (j *Journal) Recovered() []Change { return append([]Change(nil), j.recovered...) }

// Changes lists the changes now in force, oldest first.
func (j *Journal) Changes() []Change {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Change, 0, len(j.live))
	for _, r := range j.live {
		out = append(out, describe(r))
	}
	return out
}

// Path returns the journal file's path.
func (j *Journal) Path() string { return j.path }

// apply records r, then runs do; if do fails the record is forgotten. do
// must leave nothing behind when it fails (it cleans up its own partial
// work), and callers check for name clashes before apply, so that neither
// a failure nor a crash between the record and the "forget" line can undo
// something that was not ours.
func (j *Journal) apply(r record, do func() error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errors.New("hostnet: journal is closed")
	}
	r.ID = j.nextID
	j.nextID++
	if err := j.write(r); err != nil {
		return err
	}
	if err := do(); err != nil {
		if werr := j.write(record{Op: "forget", Forget: r.ID}); werr != nil {
			j.live = append(j.live, r) // keep it: the file still says so
			return errors.Join(err, werr)
		}
		return err
	}
	j.live = append(j.live, r)
	return nil
}

// remove undoes the live changes matching match now and forgets them.
func (j *Journal) remove(match func(record) bool) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for i := len(j.live) - 1; i >= 0; i-- {
		r := j.live[i]
		if !match(r) {
			continue
		}
		if err := j.undo(r); err != nil {
			return n, err
		}
		if err := j.write(record{Op: "forget", Forget: r.ID}); err != nil {
			return n, err
		}
		j.live = append(j.live[:i], j.live[i+1:]...)
		n++
	}
	return n, nil
}

// AddAddress adds prefix p (e.g. 203.0.113.7/32) to link.
func (j *Journal) AddAddress(link string, p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("add address: invalid prefix %v", p)
	}
	r := record{Op: "addr", Link: link, Prefix: p.String()}
	return j.apply(r, func() error {
		l, err := j.link(link)
		if err != nil {
			return err
		}
		return actionable("add address "+p.String()+" to "+link, j.nl.AddrAdd(l, &netlink.Addr{IPNet: ipNet(p)}))
	})
}

// RemoveAddress removes an address added by AddAddress (e.g. when the
// session's address changes) and forgets it.
func (j *Journal) RemoveAddress(link string, p netip.Prefix) error {
	_, err := j.remove(func(r record) bool { return r.Op == "addr" && r.Link == link && r.Prefix == p.String() })
	return err
}

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

// AddRoute adds a route to dst through device dev in routing table table
// (dst 0.0.0.0/0 or ::/0 makes it the table's default route).
func (j *Journal) AddRoute(table int, dst netip.Prefix, dev string) error {
	if !dst.IsValid() || table <= 0 {
		return fmt.Errorf("add route: need a destination and a table (got %v, %d)", dst, table)
	}
	r := record{Op: "route", Table: table, Prefix: dst.String(), Link: dev}
	return j.apply(r, func() error {
		rt, err := j.route(r)
		if err != nil {
			return err
		}
		return actionable(fmt.Sprintf("add route %s dev %s table %d", dst, dev, table), j.nl.RouteAdd(rt))
	})
}

// SetSysctl sets a sysctl under /proc/sys and records its old value, which
// undo restores. key is dotted ("net.ipv4.conf.dp-ppp0.rp_filter") or, when
// a component contains a dot (VLAN interfaces), slashed
// ("net/ipv4/conf/eth0.100/rp_filter").
func (j *Journal) SetSysctl(key, value string) error {
	var old string
	err := j.inNS(func() error {
		b, err := os.ReadFile(sysctlPath(key))
		old = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		return actionable("read sysctl "+key, err)
	}
	r := record{Op: "sysctl", Key: key, Old: old, Value: value}
	return j.apply(r, func() error {
		return actionable("set sysctl "+key, j.inNS(func() error { return writeSysctl(key, value) }))
	})
}

// Sysctl reads a sysctl in the journal's namespace.
func (j *Journal) Sysctl(key string) (string, error) {
	var v string
	err := j.inNS(func() error {
		b, err := os.ReadFile(sysctlPath(key))
		v = strings.TrimSpace(string(b))
		return err
	})
	return v, err
}

func sysctlPath(key string) string {
	if !strings.Contains(key, "/") {
		key = strings.ReplaceAll(key, ".", "/")
	}
	return filepath.Join("/proc/sys", filepath.Clean("/"+key))
}

func writeSysctl(key, value string) error {
	return os.WriteFile(sysctlPath(key), []byte(value+"\n"), 0o644)
}

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

// CreateMacvlan creates a macvlan device name on parent (bridge mode, its own
// random MAC), brings it up and returns its MAC. The PPPoE session runs on it
// so it never collides with the parent's MAC.
func (j *Journal) CreateMacvlan(parent, name string) (net.HardwareAddr, error) {
	var mac net.HardwareAddr
	p, err := j.link(parent)
	if err != nil {
		return nil, err
	}
	if _, err := j.nl.LinkByName(name); err == nil {
		return nil, fmt.Errorf("create macvlan %s: a device of that name already exists (ip link del %s, if it is a leftover)", name, name)
	}
	r := record{Op: "macvlan", Link: name, Parent: parent}
	err = j.apply(r, func() error {
		mv := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: p.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE}
		if err := j.nl.LinkAdd(mv); err != nil {
			return actionable("create macvlan "+name+" on "+parent, err)
		}
		l, err := j.link(name)
		if err == nil {
			err = j.nl.LinkSetUp(l)
		}
		if err != nil {
			_ = j.nl.LinkDel(mv)
			return actionable("set macvlan "+name+" up", err)
		}
		mac = l.Attrs().HardwareAddr
		return nil
	})
	return mac, err
}

// SetMTU changes a device's MTU (e.g. the TUN after a reconnect negotiated
// another MRU). It is not journalled: devices dualpath creates go away whole.
func (j *Journal) SetMTU(link string, mtu int) error {
	l, err := j.link(link)
	if err != nil {
		return err
	}
	return actionable("set MTU of "+link, j.nl.LinkSetMTU(l, mtu))
}

func (j *Journal) setUp(name string) error {
	l, err := j.link(name)
	if err != nil {
		return err
	}
	return actionable("set "+name+" up", j.nl.LinkSetUp(l))
}

// link looks up a device, with the "interface X not found (ip link shows:
// ...)" error.
func (j *Journal) link(name string) (netlink.Link, error) {
	l, err := j.nl.LinkByName(name)
	if err == nil {
		return l, nil
	}
	var lnf netlink.LinkNotFoundError
	if errors.As(err, &lnf) || errors.Is(err, unix.ENODEV) {
		var nerr error
		_ = j.inNS(func() error { nerr = interfaceNotFound(name); return nil })
		return nil, nerr
	}
	return nil, actionable("look up interface "+name, err)
}

// UndoAll undoes every change in force, newest first. Things already gone
// count as undone, so calling it twice is safe. On success the journal file
// is emptied; on failure it keeps the changes for a later attempt.
func (j *Journal) UndoAll() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	var errs []error
	var keep []record
	for i := len(j.live) - 1; i >= 0; i-- {
		if err := j.undo(j.live[i]); err != nil {
			errs = append(errs, fmt.Errorf("undo %s: %w", describe(j.live[i]).What, err))
			keep = append([]record{j.live[i]}, keep...)
		}
	}
	j.live = keep
	if len(errs) == 0 {
		if err := j.reset(); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// Close releases the journal without undoing anything: changes still in
// force stay recorded for the next OpenJournal. Call UndoAll first for a
// clean exit.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	j.closeHandles()
	return nil
}

func (j *Journal) closeHandles() {
	if j.nl != nil {
		j.nl.Close()
	}
	if j.ns.IsOpen() {
		j.ns.Close()
	}
	if j.f != nil {
		j.f.Close() // releases the flock
	}
}

// undo reverses one change; "already gone" is success.
func (j *Journal) undo(r record) error {
	var err error
	switch r.Op {
	case "addr":
		p, perr := netip.ParsePrefix(r.Prefix)
		if perr != nil {
			return nil // nothing we could have added
		}
		var l netlink.Link
		if l, err = j.link(r.Link); err == nil {
			err = j.nl.AddrDel(l, &netlink.Addr{IPNet: ipNet(p)})
		}
	case "rule":
		err = j.nl.RuleDel(rule(r))
	case "route":
		var rt *netlink.Route
		if rt, err = j.route(r); err == nil {
			err = j.nl.RouteDel(rt)
		}
	case "sysctl":
		err = j.inNS(func() error { return writeSysctl(r.Key, r.Old) })
	case "tun":
		if dev := j.tuns[r.Link]; dev != nil {
			_ = dev.Close()
			delete(j.tuns, r.Link)
		}
		var l netlink.Link
		if l, err = j.nl.LinkByName(r.Link); err == nil && l.Type() == "tuntap" {
			err = j.nl.LinkDel(l)
		}
	case "macvlan":
		var l netlink.Link
		if l, err = j.nl.LinkByName(r.Link); err == nil && l.Type() == "macvlan" {
			err = j.nl.LinkDel(l)
		}
	case "nft":
		err = j.deleteFirewall()
	}
	if gone(err) {
		return nil
	}
	return err
}

// describe renders a record in `ip`-like words.
func describe(r record) Change {
	switch r.Op {
	case "addr":
		return Change{"address", fmt.Sprintf("address %s dev %s", r.Prefix, r.Link)}
	case "rule":
		return Change{"rule", fmt.Sprintf("rule from %s lookup %d priority %d", r.From, r.Table, r.Priority)}
	case "route":
		return Change{"route", fmt.Sprintf("route %s dev %s table %d", r.Prefix, r.Link, r.Table)}
	case "sysctl":
		return Change{"sysctl", fmt.Sprintf("sysctl %s=%s (was %s)", r.Key, r.Value, r.Old)}
	case "tun":
		return Change{"tun", "TUN device " + r.Link}
	case "macvlan":
		return Change{"macvlan", fmt.Sprintf("macvlan %s on %s", r.Link, r.Parent)}
	case "nft":
		return Change{"nftables", "nftables table inet " + FirewallTable}
	}
	return Change{r.Op, r.Op}
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
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

func (j *Journal) route(r record) (*netlink.Route, error) {
	p, err := netip.ParsePrefix(r.Prefix)
	if err != nil {
		return nil, err
	}
	l, err := j.link(r.Link)
	if err != nil {
		return nil, err
	}
	rt := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipNet(p), Table: r.Table, Scope: netlink.SCOPE_LINK}
	if p.Addr().Is6() {
		rt.Scope = netlink.SCOPE_UNIVERSE
	}
	return rt, nil
}

// inNS runs fn on an OS thread in the journal's namespace (for /proc/sys
// and TUN creation, which act on the calling thread's namespace).
func (j *Journal) inNS(fn func() error) error {
	return runInNS(j.ns, fn)
}
