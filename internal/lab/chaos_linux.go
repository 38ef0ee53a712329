package lab

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/lab/vantage"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
)

// `dualpath lab chaos`: a drill of seeded faults against the running lab,
// each followed by the recovery it must show (session up, DNS answering
// the new address, an IPv4 visitor's fetch 200), while invariants are
// checked the whole time: no TCP or UDP port beyond expose open on the
// session address (while the server's decoys answer on the LAN), no wrong DNS answer outside a fault's recovery, the server's
// host state the same between faults, the daemon's file descriptors and
// goroutines bounded. One fault kind is one file (chaos_*_linux.go).

// faultKind is one kind of fault.
type faultKind struct {
	name string
	what msg.Text
	// inject makes the fault happen and returns once it is over (the
	// AC answers again, the link is back...). It sets f.Cleared and may
	// add notes; the drill then measures the recovery from f.start.
	inject func(ctx context.Context, c *chaos, f *FaultResult) error
	// limit is how long after Cleared recovery may take (0: 60 s).
	limit func(c *chaos) time.Duration
	// after, when set, undoes what the fault left on purpose (a moved
	// address) once the recovery was measured.
	after func(ctx context.Context, c *chaos) error
}

var faultKinds = map[string]*faultKind{}

func registerFault(k *faultKind) { faultKinds[k.name] = k }

// FaultKinds lists the kinds in a stable order.
func FaultKinds() []string {
	ks := make([]string, 0, len(faultKinds))
	for k := range faultKinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ChaosOptions configure a drill.
type ChaosOptions struct {
	Faults int      // default 10
	Seed   uint64   // schedule seed
	Kinds  []string // nil: every kind
	// MyDNSOutage is how long MyDNS answers 500 (default a minute).
	MyDNSOutage time.Duration
	Progress    io.Writer
	Lang        msg.Lang
}

// FaultResult is one fault of the drill and the recovery measured.
type FaultResult struct {
	N        int      `json:"n"`
	Kind     string   `json:"kind"`
	OldAddr  string   `json:"old_address,omitempty"`
	NewAddr  string   `json:"new_address,omitempty"`
	DownS    *float64 `json:"session_down_s,omitempty"` // when the daemon noticed the session was gone
	ClearedS float64  `json:"cleared_s"`                // when the fault was over
	SessionS *float64 `json:"session_up_s,omitempty"`
	DNSS     *float64 `json:"dns_s,omitempty"`
	FetchS   *float64 `json:"fetch_s,omitempty"`
	AAAAS    *float64 `json:"aaaa_after_path_s,omitempty"` // v6 path fault: AAAA right after the path returned
	Notes    []string `json:"notes,omitempty"`
	OK       bool     `json:"ok"`

	start   time.Time
	Cleared time.Time `json:"-"`
	end     time.Time // recovered (or given up on), the drill steady again
}

// Violation is an invariant that did not hold.
type Violation struct {
	At    float64 `json:"at_s"`            // seconds since the drill began
	Fault int     `json:"fault,omitempty"` // the fault in progress (FaultResult.N); 0: between faults
	What  string  `json:"what"`
}

// when says when the violation happened: during which fault, or between.
func (v Violation) when() msg.Text {
	if v.Fault == 0 {
		return msg.T("between faults", "障害の合間")
	}
	return msg.T("fault %d", "障害 %d", v.Fault)
}

// ChaosReport is the whole drill.
type ChaosReport struct {
	Seed       uint64        `json:"seed"`
	Faults     []FaultResult `json:"faults"`
	Violations []Violation   `json:"violations"`
	Kinds      []KindSummary `json:"kinds"`
	Seconds    float64       `json:"seconds"`
}

// KindSummary is the medians and maxima of one kind: Cells holds
// median and maximum of the session-down detection, session up, DNS and
// fetch times, in that order ("-" when not measured).
type KindSummary struct {
	Kind   string   `json:"kind"`
	Count  int      `json:"count"`
	Failed int      `json:"failed"`
	Cells  []string `json:"median_max_down_session_dns_fetch"`
}

// Passed reports whether every fault recovered and no invariant broke.
func (r *ChaosReport) Passed() bool {
	if len(r.Violations) > 0 {
		return false
	}
	for _, f := range r.Faults {
		if !f.OK {
			return false
		}
	}
	return true
}

// chaos is one running drill.
type chaos struct {
	l     *Lab
	opt   ChaosOptions
	began time.Time
	out   msg.Printer

	mu       sync.Mutex
	sess     netip.Addr // the session address the server holds now
	v6       netip.Addr // the AAAA that must be published
	steady   bool       // between faults, after recovery: DNS must be right
	wrongAt  time.Time  // start of a wrong DNS answer in steady state
	fault    int        // current fault number
	viol     []Violation
	expose   []uint16 // TCP
	exposeU  []uint16 // UDP
	watchOut string
	target   string
	obsRead  int64
	st0      *daemon.Status // the daemon's status when the fault began
}

func (c *chaos) since() float64 { return time.Since(c.began).Seconds() }

func (c *chaos) violate(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.viol = append(c.viol, Violation{At: c.since(), Fault: c.fault, What: fmt.Sprintf(format, args...)})
}

func (c *chaos) say(t msg.Text) {
	if c.opt.Progress != nil {
		c.out.Println(t)
	}
}

// Chaos runs a drill against the running lab (server-pppoe scenario).
func (l *Lab) Chaos(ctx context.Context, opt ChaosOptions) (*ChaosReport, error) {
	st, err := l.Load()
	if err != nil {
		return nil, err
	}
	if st.Scenario != ScenarioServerPPPoE {
		return nil, fmt.Errorf("lab chaos drills the server-pppoe scenario; this lab runs %s", st.Scenario)
	}
	if opt.Faults <= 0 {
		opt.Faults = 10
	}
	if opt.MyDNSOutage <= 0 {
		opt.MyDNSOutage = time.Minute
	}
	kinds := opt.Kinds
	if len(kinds) == 0 {
		kinds = FaultKinds()
	}
	for _, k := range kinds {
		if faultKinds[k] == nil {
			return nil, fmt.Errorf("unknown fault kind %q: use %s", k, strings.Join(FaultKinds(), ", "))
		}
	}
	c := &chaos{l: l, opt: opt, began: time.Now(), expose: ExposedTCP, exposeU: ExposedUDP, v6: ServerIPv6(),
		out: msg.Printer{W: opt.Progress, Lang: opt.Lang}}
	if c.opt.Progress == nil {
		c.out.W = io.Discard
	}
	c.sess, err = l.waitSession(ctx, 30*time.Second, netip.Addr{})
	if err != nil {
		return nil, fmt.Errorf("no session to drill: %v", err)
	}
	if err := c.recovered(ctx, nil, 30*time.Second); err != nil {
		return nil, fmt.Errorf("the lab is not healthy before the drill: %v", err)
	}
	stopWatch, err := c.startWatch(ctx)
	if err != nil {
		return nil, err
	}
	defer stopWatch()
	c.decoyControl(ctx, "before")
	host0, err := c.hostState()
	if err != nil {
		return nil, err
	}
	res0 := c.daemonResources(ctx)
	c.setSteady(true)
	watchCtx, stopMon := context.WithCancel(ctx)
	monDone := make(chan struct{})
	go func() { defer close(monDone); c.monitor(watchCtx) }()

	rep := &ChaosReport{Seed: opt.Seed}
	for i := 0; i < opt.Faults && ctx.Err() == nil; i++ {
		kind := faultKinds[kinds[pick(opt.Seed, i, len(kinds))]]
		f := FaultResult{N: i + 1, Kind: kind.name, OldAddr: c.current().String()}
		c.mu.Lock()
		c.fault = i + 1
		c.mu.Unlock()
		c.say(msg.T("fault %d/%d: %s", "障害 %d/%d: %s", i+1, opt.Faults, kind.what))
		c.setSteady(false)
		c.st0, _ = daemon.QueryStatus(ctx, filepath.Join(l.Dir, "server-status.sock"))
		f.start = time.Now()
		if err := kind.inject(ctx, c, &f); err != nil {
			f.Notes = append(f.Notes, "inject: "+err.Error())
		}
		if f.Cleared.IsZero() {
			f.Cleared = time.Now()
		}
		f.ClearedS = round1(f.Cleared.Sub(f.start).Seconds())
		limit := 60 * time.Second
		if kind.limit != nil {
			limit = kind.limit(c)
		}
		err := c.recovered(ctx, &f, time.Until(f.Cleared.Add(limit)))
		if ctx.Err() != nil {
			break // interrupted: the fault in flight is not counted
		}
		if err != nil {
			f.Notes = append(f.Notes, err.Error())
			c.violate("fault %d (%s) did not recover within %v of its end: %v", f.N, f.Kind, limit, err)
		}
		f.NewAddr = c.current().String()
		if kind.after != nil && err == nil {
			if aerr := kind.after(ctx, c); aerr != nil {
				f.Notes = append(f.Notes, "undo: "+aerr.Error())
			} else if rerr := c.recovered(ctx, nil, time.Minute); rerr != nil {
				c.violate("after undoing fault %d (%s): %v", f.N, f.Kind, rerr)
			}
		}
		// Between faults: the host state and the daemon's resources.
		if h, err := c.hostState(); err == nil && h != host0 {
			c.violate("after fault %d (%s) the server's host state differs from before the drill:\n%s", f.N, f.Kind, diffLines(host0, h))
			host0 = h
		}
		if r := c.daemonResources(ctx); r.ok && res0.ok {
			if r.fds > res0.fds+16 || r.goroutines > res0.goroutines+40 {
				c.violate("after fault %d (%s) the daemon holds %d fds and %d goroutines (at the start %d and %d)",
					f.N, f.Kind, r.fds, r.goroutines, res0.fds, res0.goroutines)
			}
		}
		f.OK = err == nil
		f.end = time.Now()
		c.setSteady(true)
		c.say(msg.Concat(msg.Same("  "), f.line()))
		rep.Faults = append(rep.Faults, f)
		sleepCtx(ctx, 2*time.Second) // steady state between faults
	}
	stopMon()
	<-monDone
	if ctx.Err() == nil {
		c.decoyControl(ctx, "after")
	}
	c.judgeScans(rep.Faults)
	rep.Violations = c.viol
	if rep.Violations == nil {
		rep.Violations = []Violation{}
	}
	rep.Kinds = summarize(rep.Faults)
	rep.Seconds = round1(c.since())
	return rep, nil
}

// pick is the seeded schedule: fault i's kind, from SHA-256 of the seed and
// i (deterministic, so a seed replays the same drill).
func pick(seed uint64, i, n int) int {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], seed)
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	h := sha256.Sum256(b[:])
	return int(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}

func (c *chaos) current() netip.Addr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

func (c *chaos) setSteady(on bool) {
	c.mu.Lock()
	c.steady, c.wrongAt = on, time.Time{}
	c.mu.Unlock()
}

// setV6 changes the AAAA the drill expects (the v6 fault moves the
// server's address).
func (c *chaos) setV6(a netip.Addr) {
	c.mu.Lock()
	c.v6 = a
	c.mu.Unlock()
}

// recovered waits (up to d) until the daemon holds a session (a new one
// when the fault ended the old: f.DownS set), DNS answers its address and
// the expected AAAA, and an IPv4 visitor gets the page from it, all of it
// about the same session (a session that changes meanwhile starts the
// wait over); it fills f's times (from f.start).
func (c *chaos) recovered(ctx context.Context, f *FaultResult, d time.Duration) error {
	l := c.l
	sock := filepath.Join(l.Dir, "server-status.sock")
	deadline := time.Now().Add(d)
	left := func() time.Duration { return max(time.Until(deadline), time.Second) }
	at := func() *float64 {
		if f == nil {
			return nil
		}
		return ptr(round1(time.Since(f.start).Seconds()))
	}
	minReconnects := -1
	if f != nil && f.DownS != nil && c.st0 != nil {
		minReconnects = c.st0.Session.Reconnects + 1
	}
	var last error
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var st *daemon.Status
		if !waitFor(ctx, left(), func() bool {
			s, err := daemon.QueryStatus(ctx, sock)
			if err != nil || s.Session.State != daemon.StateUp || s.Session.Reconnects < minReconnects {
				return false
			}
			st = s
			return true
		}) {
			return fmt.Errorf("session not up again")
		}
		sess, err := netip.ParseAddr(st.Session.Address)
		if err != nil {
			return fmt.Errorf("session address %q: %v", st.Session.Address, err)
		}
		c.mu.Lock()
		c.sess = sess
		v6 := c.v6
		c.mu.Unlock()
		_ = os.WriteFile(c.target, []byte(sess.String()+"\n"), 0o644)
		if f != nil {
			f.SessionS = at()
		}
		same := func() bool {
			s, err := daemon.QueryStatus(ctx, sock)
			return err == nil && s.Session.State == daemon.StateUp && s.Session.Address == st.Session.Address &&
				s.Session.Reconnects == st.Session.Reconnects
		}
		if got, ok := l.waitRecord(ctx, left(), "A", sess); !ok {
			last = fmt.Errorf("A is %s, not the session's %s", addrsString(got), sess)
			if same() {
				return last
			}
			continue
		}
		if got, ok := l.waitRecord(ctx, left(), "AAAA", v6); !ok {
			return fmt.Errorf("AAAA is %s, not %s", addrsString(got), v6)
		}
		if !same() {
			continue
		}
		if f != nil {
			f.DNSS = at()
		}
		var fe vantage.Fetched
		var ferr error
		if !waitFor(ctx, min(left(), 20*time.Second), func() bool {
			url, dns := l.fetchTarget("4")
			ferr = l.nodeJSON(ctx, NodeInet4, &fe, "fetch", "--family", "4", "--dns", dns, url)
			return ferr == nil && fe.Status == 200 && fe.Addr == sess.String()
		}) {
			last = fmt.Errorf("IPv4 fetch: %d from %s (%v)", fe.Status, fe.Addr, ferr)
			if same() {
				return last
			}
			continue
		}
		if f != nil {
			f.FetchS = at()
		}
		return nil
	}
	if last == nil {
		last = fmt.Errorf("not recovered within %v", d)
	}
	return last
}

// sessionGone waits until the daemon on the server no longer holds the
// session it held (it says so on its status socket: a reconnect counted,
// or a state other than up) and returns when, or false after d.
func (c *chaos) sessionGone(ctx context.Context, old netip.Addr, d time.Duration) (time.Time, bool) {
	sock := filepath.Join(c.l.Dir, "server-status.sock")
	st0 := c.st0
	if st0 == nil {
		return time.Time{}, false
	}
	var at time.Time
	ok := waitFor(ctx, d, func() bool {
		st, err := daemon.QueryStatus(ctx, sock)
		if err == nil && (st.Session.Reconnects > st0.Session.Reconnects || st.Session.State != daemon.StateUp ||
			st.Session.Address != old.String()) {
			at = time.Now()
			return true
		}
		return false
	})
	return at, ok
}

// startWatch starts the watcher in the IPv4 visitor's namespace.
func (c *chaos) startWatch(ctx context.Context) (func(), error) {
	c.target = filepath.Join(c.l.Dir, "chaos-target")
	c.watchOut = filepath.Join(c.l.Dir, "chaos-watch.jsonl")
	_ = os.Remove(c.watchOut)
	if err := os.WriteFile(c.target, []byte(c.current().String()+"\n"), 0o644); err != nil {
		return nil, err
	}
	tcp := fmt.Sprintf("1-1024,%d,%d", DecoyPort, WhoamiPort)
	udp := fmt.Sprintf("1-1024,%d", DecoyPort)
	p, err := c.l.startNode(NodeInet4, "chaos-watch", "chaos-watch", "--target", c.target, "--out", c.watchOut,
		"--dns", netip.AddrPortFrom(DNS4, 53).String(), "--name", Name, "--ports", tcp, "--udp", udp)
	if err != nil {
		return nil, err
	}
	pid := p.PID
	return func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		waitFor(context.Background(), 3*time.Second, func() bool { return !alive(pid) })
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}, nil
}

// monitor reads the watcher's DNS observations as they come and flags a
// wrong answer that lasts more than 3 s while the drill is steady.
func (c *chaos) monitor(ctx context.Context) {
	for ctx.Err() == nil {
		sleepCtx(ctx, 500*time.Millisecond)
		for _, o := range c.readObs() {
			if o.Kind != "dns" || o.Err != "" {
				continue
			}
			c.mu.Lock()
			right := len(o.A) == 1 && o.A[0] == c.sess && len(o.AAAA) == 1 && o.AAAA[0] == c.v6
			switch {
			case !c.steady || right:
				c.wrongAt = time.Time{}
			case c.wrongAt.IsZero():
				c.wrongAt = o.At
			case o.At.Sub(c.wrongAt) > 3*time.Second:
				c.viol = append(c.viol, Violation{At: c.since(), Fault: c.fault,
					What: fmt.Sprintf("DNS answered A %s AAAA %s for %.1f s between faults (want A %s AAAA %s)",
						addrsString(o.A), addrsString(o.AAAA), o.At.Sub(c.wrongAt).Seconds(), c.sess, c.v6)})
				c.wrongAt = o.At
			}
			c.mu.Unlock()
		}
	}
}

// readObs returns the observations appended since the last call.
func (c *chaos) readObs() []watchObs {
	f, err := os.Open(c.watchOut)
	if err != nil {
		return nil
	}
	defer f.Close()
	if _, err := f.Seek(c.obsRead, io.SeekStart); err != nil {
		return nil
	}
	var out []watchObs
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			break // a partial line waits for the next call
		}
		c.obsRead += int64(len(line))
		var o watchObs
		if json.Unmarshal(line, &o) == nil {
			out = append(out, o)
		}
	}
	return out
}

// decoyControl checks that the server's UDP decoy answers on the LAN
// (before and after the drill): otherwise the scanner's "no UDP port open"
// on the session address would prove nothing.
func (c *chaos) decoyControl(ctx context.Context, when string) {
	if err := c.l.udpDecoyAnswers(ctx); err != nil {
		c.violate("%s the drill: %v: the scanner could not have seen an open UDP port", when, err)
	}
}

// judgeScans checks every scan of the drill: only the exposed ports may
// ever be open on the session address, over TCP and over UDP.
func (c *chaos) judgeScans(faults []FaultResult) {
	b, err := os.ReadFile(c.watchOut)
	if err != nil {
		c.violate("no observations from the watcher: %v", err)
		return
	}
	scans := 0
	for _, line := range strings.Split(string(b), "\n") {
		var o watchObs
		if json.Unmarshal([]byte(line), &o) != nil || o.Kind != "scan" {
			continue
		}
		scans++
		for _, x := range []struct {
			proto        string
			open, expose []uint16
		}{{"TCP", o.Open, c.expose}, {"UDP", o.UDP, c.exposeU}} {
			for _, p := range x.open {
				if !slices.Contains(x.expose, p) {
					c.viol = append(c.viol, Violation{At: round1(o.At.Sub(c.began).Seconds()), Fault: faultAt(faults, o.At),
						What: fmt.Sprintf("%s port %d open on %s (expose: %s)", x.proto, p, o.Addr, config.FormatPorts(x.expose))})
				}
			}
		}
	}
	if scans == 0 {
		c.violate("the scanner made no scan")
	}
}

// faultAt is the fault in progress at t (FaultResult.N): from its start
// until the drill is steady again after it; 0 between faults.
func faultAt(faults []FaultResult, t time.Time) int {
	for _, f := range faults {
		if !t.Before(f.start) && !t.After(f.end) {
			return f.N
		}
	}
	return 0
}

var poolAddrRE = regexp.MustCompile(`203\.0\.113\.\d+`)

// hostState is what must stay the same on the server between faults:
// policy rules, routes, nftables tables, devices (names and state); session
// addresses (they change with each session) are masked.
func (c *chaos) hostState() (string, error) {
	var b strings.Builder
	for _, cmd := range [][]string{
		{"ip", "-4", "rule"}, {"ip", "-6", "rule"},
		{"ip", "-4", "route", "show", "table", "all"},
		{"nft", "list", "tables"},
		{"ip", "-o", "link", "show"},
	} {
		out, err := c.l.In(NodeServer, cmd[0], cmd[1:]...)
		if err != nil {
			return "", err
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if cmd[0] == "ip" && cmd[1] == "-o" {
				// "7: dp-ppp0: <...> mtu ... state UNKNOWN ..." without the
				// index and counters.
				f := strings.Fields(line)
				if len(f) > 2 {
					line = f[1] + " " + f[2]
				}
			}
			fmt.Fprintln(&b, poolAddrRE.ReplaceAllString(line, "POOL"))
		}
	}
	return b.String(), nil
}

func diffLines(a, b string) string {
	in := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		in[l]++
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if in[l] > 0 {
			in[l]--
			continue
		}
		out = append(out, "  + "+l)
	}
	for l, n := range in {
		for ; n > 0; n-- {
			out = append(out, "  - "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

type resources struct {
	fds, goroutines int
	ok              bool
}

// daemonResources counts the daemon's open files (/proc) and goroutines
// (its metrics).
func (c *chaos) daemonResources(ctx context.Context) resources {
	var pid int
	for _, p := range c.l.st.Procs {
		if p.Name == "dualpath-run" && p.ours() {
			pid = p.PID
		}
	}
	if pid == 0 {
		return resources{}
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return resources{}
	}
	r := resources{fds: len(ents)}
	out, err := c.l.InCtx(ctx, NodeServer, "curl", "-sS", "--max-time", "2", "http://"+labMetrics+"/metrics")
	if err != nil {
		return resources{}
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			r.goroutines, _ = strconv.Atoi(strings.TrimSpace(v))
			r.ok = true
		}
	}
	return r
}

// labMetrics is where the lab's daemon serves its metrics (in the server's
// namespace).
const labMetrics = "127.0.0.1:9842"

func round1(s float64) float64 { return float64(int64(s*10+0.5)) / 10 }

func secs(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *p)
}

// line is the fault's outcome as the progress shows it, in both languages
// (the notes, errors from below, as they are).
func (f FaultResult) line() msg.Text {
	s := msg.T("%s -> %s: cleared %.1fs, session %ss, DNS %ss, fetch %ss",
		"%s → %s: 解消 %.1f秒、セッション %s秒、DNS %s秒、取得 %s秒",
		f.OldAddr, f.NewAddr, f.ClearedS, secs(f.SessionS), secs(f.DNSS), secs(f.FetchS))
	if f.DownS != nil {
		s = msg.T("%s, down noticed %ss", "%s、切断検知 %s秒", s, secs(f.DownS))
	}
	if f.AAAAS != nil {
		s = msg.T("%s, AAAA %ss after the path returned", "%s、経路の復旧から %s秒で AAAA", s, secs(f.AAAAS))
	}
	if !f.OK {
		s = msg.T("%s FAILED", "%s 失敗", s)
	}
	for _, n := range f.Notes {
		s = msg.T("%s; %s", "%s。%s", s, n)
	}
	return s
}

// summarize computes the medians and maxima per kind.
func summarize(fs []FaultResult) []KindSummary {
	by := map[string][]FaultResult{}
	for _, f := range fs {
		by[f.Kind] = append(by[f.Kind], f)
	}
	var out []KindSummary
	for _, k := range FaultKinds() {
		list := by[k]
		if len(list) == 0 {
			continue
		}
		s := KindSummary{Kind: k, Count: len(list)}
		for _, f := range list {
			if !f.OK {
				s.Failed++
			}
		}
		medmax := func(get func(FaultResult) *float64) (string, string) {
			var v []float64
			for _, f := range list {
				if p := get(f); p != nil {
					v = append(v, *p)
				}
			}
			if len(v) == 0 {
				return "-", "-"
			}
			sort.Float64s(v)
			return fmt.Sprintf("%.1f", v[len(v)/2]), fmt.Sprintf("%.1f", v[len(v)-1])
		}
		for _, get := range []func(FaultResult) *float64{
			func(f FaultResult) *float64 { return f.DownS },
			func(f FaultResult) *float64 { return f.SessionS },
			func(f FaultResult) *float64 { return f.DNSS },
			func(f FaultResult) *float64 { return f.FetchS },
		} {
			md, mx := medmax(get)
			s.Cells = append(s.Cells, md, mx)
		}
		out = append(out, s)
	}
	return out
}

// Print writes the table (medians and maxima per kind, seconds from the
// fault's start) and the violations, in the locale's language.
func (r *ChaosReport) Print(w io.Writer, lang msg.Lang) {
	p := msg.Printer{W: w, Lang: lang}
	p.Println(msg.T("lab chaos, seed %d: %d faults in %.0f s; seconds from each fault's start, median/max",
		"lab chaos（シード %d）: 障害 %d 件、%.0f 秒。各障害の開始からの秒数（中央値/最大）", r.Seed, len(r.Faults), r.Seconds))
	// The heads padded by display width (「切断検知」 is 8 columns), so the
	// columns line up in Japanese too.
	head := func(t msg.Text, cols int, left bool) string {
		s := t.In(lang)
		pad := strings.Repeat(" ", max(0, cols-termtext.DisplayWidth(s)))
		if left {
			return s + pad
		}
		return pad + s
	}
	p.Println(msg.Same(strings.Join([]string{head(msg.T("kind", "種類"), 12, true), head(msg.Same("n"), 3, false),
		head(msg.T("fail", "失敗"), 4, false), head(msg.T("down seen", "切断検知"), 11, false), head(msg.T("session", "再接続"), 11, false),
		head(msg.Same("DNS"), 11, false), head(msg.T("fetch", "取得"), 11, false)}, " ")))
	for _, k := range r.Kinds {
		c := k.Cells
		p.Println(msg.Same(fmt.Sprintf("%-12s %3d %4d %11s %11s %11s %11s", k.Kind, k.Count, k.Failed,
			c[0]+"/"+c[1], c[2]+"/"+c[3], c[4]+"/"+c[5], c[6]+"/"+c[7])))
	}
	if len(r.Violations) == 0 {
		p.Println(msg.T("invariants held: no TCP/UDP port beyond expose open, DNS right between faults, host state constant, daemon fds and goroutines bounded",
			"不変条件はすべて成立: 公開ポート以外は閉鎖、障害の合間のDNSは正しい、ホストの状態は不変、デーモンのfdとgoroutineは有界"))
		return
	}
	p.Println(msg.T("%d invariant violation(s):", "不変条件の違反 %d 件:", len(r.Violations)))
	for _, v := range r.Violations {
		p.Println(msg.T("  %.1fs %s: %s", "  %.1f 秒 %s: %s", v.At, v.when(), v.What))
	}
}
