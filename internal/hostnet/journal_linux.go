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
// back), or the name of a change kind (opKind): "addr", "rule", "route",
// "sysctl", "tun", "macvlan", "nft".
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

// inNS runs fn on an OS thread in the journal's namespace (for /proc/sys
// and TUN creation, which act on the calling thread's namespace).
func (j *Journal) inNS(fn func() error) error {
	return runInNS(j.ns, fn)
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
