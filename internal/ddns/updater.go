package ddns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// Defaults of the updater.
const (
	DefaultDebounce        = 200 * time.Millisecond
	DefaultInterval        = 5 * time.Minute
	DefaultBackoffBase     = time.Minute
	DefaultBackoffMax      = 6 * time.Hour
	DefaultMyDNSMinBackoff = 5 * time.Minute // protocols.md: at least 5 min after a failure
	DefaultTUN             = config.DefaultTUN
)

// Options tune an Updater; the zero value is the daemon's behaviour.
type Options struct {
	Logger *slog.Logger
	// StateDir holds one small JSON file per record; default the config's
	// state_dir. "-" disables persistence.
	StateDir string
	// DryRun resolves addresses and prints what would be sent to Out,
	// without sending or persisting anything.
	DryRun bool
	Out    io.Writer
	// Lang is the language of what a dry run prints (default English).
	Lang msg.Lang
	// Debounce merges bursts of address events (default 200 ms).
	Debounce time.Duration
	// Interval, when set, overrides every record's periodic check.
	Interval time.Duration
	// BackoffBase and BackoffMax shape the exponential backoff after a
	// failure (defaults 1 min and 6 h); MyDNSMinBackoff is MyDNS's floor
	// (default 5 min). Tests shorten them.
	BackoffBase, BackoffMax, MyDNSMinBackoff time.Duration
	// NetNS reads and watches addresses in this named namespace (tests).
	NetNS string
	// Addrs and Watch replace the netlink address reader and watcher.
	Addrs func(link string) ([]hostnet.Addr, error)
	Watch func(ctx context.Context) <-chan struct{}
	// Resolver (host:port) finds the zone and name servers of MyDNS,
	// DuckDNS and dyndns2 names for the DNS truth check (truth.go);
	// default the first nameserver of /etc/resolv.conf. AuthPort is the
	// port the authoritative servers are asked on (default 53; tests).
	Resolver string
	AuthPort uint16
	// OnEvent, when set, receives the outcome of every attempt to send a
	// record, from the updater's goroutine once its lock is released.
	OnEvent func(Event)
	// Now and Jitter (a number in [0,1)) replace the clock and randomness.
	Now    func() time.Time
	Jitter func() float64
}

// Event is the outcome of one attempt to send a record to its provider.
type Event struct {
	Record, Provider, Name string
	Failures               int    // failed attempts in a row; 0 after a success
	Err                    string // a failure's error, secrets scrubbed
}

// Counters are the updater's totals since start, for metrics.
type Counters struct {
	Updates    uint64 // accepted updates (address changes)
	Keepalives uint64 // accepted re-sends of an unchanged record
	Failures   uint64 // provider refusals and errors
	Unchanged  uint64 // checks that found nothing to send
	Refused    uint64 // addresses a guard refused to publish
}

// RecordStatus is one record as `dualpath status` shows it.
type RecordStatus struct {
	Record        string    `json:"record"`
	Provider      string    `json:"provider"`
	Name          string    `json:"name,omitempty"`
	IPv4Source    string    `json:"ipv4_source"`
	IPv6Source    string    `json:"ipv6_source"`
	IPv4          string    `json:"ipv4,omitempty"` // published
	IPv6          string    `json:"ipv6,omitempty"` // published
	LastUpdate    time.Time `json:"last_update,omitzero"`
	NextKeepalive time.Time `json:"next_keepalive,omitzero"`
	NextTry       time.Time `json:"next_try,omitzero"` // when backing off
	Failures      int       `json:"failures,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorCode string    `json:"last_error_code,omitempty"` // msg.CodeText reads it
	LastErrorJA   string    `json:"last_error_ja,omitempty"`
	// IPv4Problem and IPv6Problem say why a family's source gave nothing
	// to publish at the last check (e.g. only a private IPv4 address).
	IPv4Problem string `json:"ipv4_problem,omitempty"`
	IPv6Problem string `json:"ipv6_problem,omitempty"`
	// IPv4ProblemJA and IPv6ProblemJA are the same in Japanese.
	IPv4ProblemJA string `json:"ipv4_problem_ja,omitempty"`
	IPv6ProblemJA string `json:"ipv6_problem_ja,omitempty"`
	// Check says what the last check did: "sent", "unchanged (checked at
	// ns1.example.net 0.2 s ago)", "unchanged (not verifiable: ...)".
	Check string `json:"check,omitempty"`
	// CheckOutcome is Check, typed.
	CheckOutcome CheckOutcome `json:"-"`
}

type record struct {
	id, label                  string
	cfg                        config.DDNSRecord
	prov                       Provider
	v4, v6                     config.Source
	choice                     V6Choice
	secrets                    []string
	interval                   time.Duration
	keepalive                  time.Duration
	minBackoff                 time.Duration
	st                         recordState
	lastCheck                  time.Time
	lastRefusal4, lastRefusal6 msg.Text
	retry                      retryState // backoff.go
	truth                      truth      // truth.go
}

// Updater keeps every ddns record of a config up to date.
type Updater struct {
	cfg  *config.Config
	opts Options
	log  *slog.Logger
	tun  string
	recs []*record

	mu           sync.Mutex // guards recs' state, session
	session      netip.Addr // SetSessionAddress's
	sessionKnown bool
	sessionName  msg.Text // the PPPoE session or the fixed-IP tunnel, in errors
	kick         chan struct{}

	updates, keepalives, failures, unchanged, refused atomic.Uint64
	byProvider                                        map[string]*ProviderCounters // guarded by mu
}

// ErrBackingOff is returned for a record whose retry time has not come.
var ErrBackingOff = errors.New("backing off after a failure")

// New builds an Updater: it reads the secret files and state, but sends
// nothing yet. Config errors come back as they are (call ValidateConfig
// first for messages with file:line).
func New(cfg *config.Config, opts Options) (*Updater, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Debounce == 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.BackoffBase == 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax == 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	if opts.MyDNSMinBackoff == 0 {
		opts.MyDNSMinBackoff = DefaultMyDNSMinBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Jitter == nil {
		opts.Jitter = rand.Float64
	}
	if opts.Addrs == nil {
		ns := opts.NetNS
		opts.Addrs = func(link string) ([]hostnet.Addr, error) { return hostnet.AddrsIn(ns, link) }
	}
	if opts.Watch == nil {
		ns := opts.NetNS
		opts.Watch = func(ctx context.Context) <-chan struct{} { return hostnet.WatchAddrsIn(ctx, ns) }
	}
	switch opts.StateDir {
	case "":
		if cfg.StateDir != "" {
			opts.StateDir = cfg.StateDir
		}
	case "-":
		opts.StateDir = ""
	}
	u := &Updater{cfg: cfg, opts: opts, log: opts.Logger, tun: DefaultTUN, kick: make(chan struct{}, 1),
		sessionName: msg.T("the PPPoE session", "PPPoE セッション"),
		byProvider:  map[string]*ProviderCounters{}}
	for _, d := range cfg.DDNS {
		u.byProvider[d.Provider] = &ProviderCounters{}
	}
	if cfg.PPPoE != nil && cfg.PPPoE.TUN != "" {
		u.tun = cfg.PPPoE.TUN
	}
	if cfg.Tunnel != nil {
		u.tun = cfg.Tunnel.TUN
		u.sessionName = msg.T("the fixed-IP tunnel", "固定 IP トンネル")
	}
	for i, d := range cfg.DDNS {
		prov, secrets, err := NewProvider(d, nil)
		if err != nil {
			return nil, fmt.Errorf("ddns[%d]: %v", i, err)
		}
		r := &record{
			id: recordID(d.Provider, d.Name, d.Username, d.Server), cfg: d, prov: prov, v4: d.IPv4, v6: d.IPv6,
			choice: v6Choice(d), secrets: secrets, interval: d.Interval, keepalive: d.Keepalive,
		}
		r.label = d.Provider + " " + d.Name
		if d.Name == "" {
			r.label = d.Provider + " " + d.Username
		}
		if opts.Interval > 0 {
			r.interval = opts.Interval
		}
		if r.interval <= 0 {
			r.interval = DefaultInterval
		}
		if d.Provider == "mydns" {
			r.minBackoff = opts.MyDNSMinBackoff
		}
		st, err := loadState(opts.StateDir, r.id)
		if err != nil {
			msg.LogWarn(u.log, msg.T("ddns state unreadable", "DDNS の状態ファイルを読めません"), "record", r.label, "err", err)
		}
		r.st = st
		u.recs = append(u.recs, r)
	}
	return u, nil
}

// SetSessionAddress tells the updater the IPv4 address of the session the
// daemon holds: the PPPoE session's or the fixed-IP tunnel's (the pppoe and
// tunnel sources read it). The daemon calls it on session up, address
// change and down; an invalid address means the session is down. From then
// on those sources use it instead of reading the TUN device. It triggers a
// debounced check.
func (u *Updater) SetSessionAddress(a netip.Addr) {
	u.mu.Lock()
	u.session, u.sessionKnown = a.Unmap(), true
	u.mu.Unlock()
	u.Kick()
}

// Kick asks for a (debounced) check of every record, e.g. after an event
// the updater cannot see itself.
func (u *Updater) Kick() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// ProviderCounters are one provider's counts since start, for metrics.
type ProviderCounters struct {
	Updates     uint64    // accepted updates and keepalives
	Failures    uint64    // refusals and errors
	LastSuccess time.Time // when an update or keepalive was last accepted
}

// ByProvider returns each configured provider's counts since start (every
// provider of the config is present, at zero before its first attempt).
func (u *Updater) ByProvider() map[string]ProviderCounters {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make(map[string]ProviderCounters, len(u.byProvider))
	for p, c := range u.byProvider {
		out[p] = *c
	}
	return out
}

// countLocked counts one attempt of a record's provider (u.mu held).
func (u *Updater) countLocked(provider string, ok bool, now time.Time) {
	c := u.byProvider[provider]
	if c == nil {
		c = &ProviderCounters{}
		u.byProvider[provider] = c
	}
	if !ok {
		c.Failures++
		return
	}
	c.Updates++
	c.LastSuccess = now
}

// Counters returns the totals since start.
func (u *Updater) Counters() Counters {
	return Counters{Updates: u.updates.Load(), Keepalives: u.keepalives.Load(), Failures: u.failures.Load(),
		Unchanged: u.unchanged.Load(), Refused: u.refused.Load()}
}

// Status returns every record's published value, times and last error.
func (u *Updater) Status() []RecordStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]RecordStatus, 0, len(u.recs))
	for _, r := range u.recs {
		s := RecordStatus{Record: r.label, Provider: r.cfg.Provider, Name: r.cfg.Name,
			IPv4Source: r.v4.String(), IPv6Source: r.v6.String(),
			LastUpdate: r.st.LastUpdate, NextTry: r.st.NextTry, Failures: r.st.Failures, LastError: r.st.LastError, LastErrorCode: r.st.LastErrorCode, LastErrorJA: r.st.LastErrorJA,
			IPv4Problem: r.lastRefusal4.EN, IPv6Problem: r.lastRefusal6.EN,
			IPv4ProblemJA: r.lastRefusal4.JA, IPv6ProblemJA: r.lastRefusal6.JA,
			Check: r.truth.verdict(u.opts.Now()), CheckOutcome: r.truth.outcome()}
		if r.st.IPv4.IsValid() {
			s.IPv4 = r.st.IPv4.String()
		}
		if r.st.IPv6.IsValid() {
			s.IPv6 = r.st.IPv6.String()
		}
		if r.keepalive > 0 && !r.st.LastUpdate.IsZero() {
			s.NextKeepalive = r.st.LastUpdate.Add(r.keepalive)
		}
		out = append(out, s)
	}
	return out
}

// RunOnce checks every record once, ignoring any backoff in force, and
// returns a *PassError naming the records that failed (a provider error, or
// a source that gave no publishable address). Do not call it while Run runs.
func (u *Updater) RunOnce(ctx context.Context) error {
	return u.pass(ctx, true)
}

// Run keeps the records up to date until ctx ends: on address events and
// PPPoE session events (debounced), on each record's interval, when a
// keepalive is due, when a backoff expires and when a seen path breaks
// (seenwatch.go). Provider errors are logged
// and retried; Run returns only when ctx ends.
func (u *Updater) Run(ctx context.Context) error {
	watch := u.opts.Watch(ctx)
	u.watchSeenPaths(ctx)
	_ = u.pass(ctx, false)
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	wake := time.NewTimer(u.nextWake())
	defer debounce.Stop()
	defer wake.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-watch:
			if !ok {
				watch = nil
				continue
			}
			debounce.Reset(u.opts.Debounce)
		case <-u.kick:
			debounce.Reset(u.opts.Debounce)
		case <-debounce.C:
			_ = u.pass(ctx, false)
		case <-wake.C:
			_ = u.pass(ctx, false)
		}
		wake.Reset(u.nextWake())
	}
}

// nextWake is how long until the earliest periodic check, keepalive or
// retry of any record.
func (u *Updater) nextWake() time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.opts.Now()
	next := now.Add(24 * time.Hour)
	for _, r := range u.recs {
		cands := []time.Time{r.lastCheck.Add(r.interval)}
		if !r.st.NextTry.IsZero() {
			cands = append(cands, r.st.NextTry)
		}
		if !r.retry.probeAt.IsZero() {
			cands = append(cands, r.retry.probeAt)
		}
		if r.keepalive > 0 && !r.st.LastUpdate.IsZero() {
			cands = append(cands, r.st.LastUpdate.Add(r.keepalive))
		}
		for _, t := range cands {
			if t.Before(next) {
				next = t
			}
		}
	}
	d := next.Sub(now)
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return d
}

func (u *Updater) pass(ctx context.Context, ignoreBackoff bool) error {
	var pe PassError
	for _, r := range u.recs {
		if err := u.check(ctx, r, ignoreBackoff); err != nil && !errors.Is(err, ErrBackingOff) {
			pe.Records = append(pe.Records, fmt.Errorf("%s: %w", r.label, err))
		}
	}
	if len(pe.Records) == 0 {
		return nil
	}
	return &pe
}

// PassError lists the records a pass could not bring up to date, one error
// per record.
type PassError struct {
	Records []error
}

// Error has one line per failed record.
func (e *PassError) Error() string {
	lines := make([]string, len(e.Records))
	for i, err := range e.Records {
		lines[i] = strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the per-record errors to errors.Is/As.
func (e *PassError) Unwrap() []error { return e.Records }

// resolved is one family's outcome of a check.
type resolved struct {
	addr, local netip.Addr
	fresh       bool  // the source answered and the guards passed
	seen        bool  // a seen source: addr is zero until the provider says (no echo_url)
	err         error // why not, when the family is managed
}

// check resolves a record's addresses and sends them when they changed or a
// keepalive is due. ignoreBackoff (RunOnce) also reports a source that gave
// no publishable address as an error.
func (u *Updater) check(ctx context.Context, r *record, ignoreBackoff bool) error {
	now := u.opts.Now()
	u.mu.Lock()
	r.lastCheck = now
	st := r.st
	u.mu.Unlock()

	f4 := u.resolveFamily(ctx, r, false)
	f6 := u.resolveFamily(ctx, r, true)
	// In a one-shot run, a family that could not be resolved is a failure
	// (after sending what could be sent); the daemon only logs it.
	srcErr := func(err error) error {
		if err == nil && ignoreBackoff {
			return errors.Join(f4.err, f6.err)
		}
		return err
	}
	changed := (f4.fresh && f4.addr.IsValid() && f4.addr != st.IPv4) || (f6.fresh && f6.addr.IsValid() && f6.addr != st.IPv6)
	keepDue := r.keepalive > 0 && (f4.fresh || f6.fresh) && (st.LastUpdate.IsZero() || now.Sub(st.LastUpdate) >= r.keepalive)
	blind := seenBlindDue(r, f4, f6, st, now, ignoreBackoff)
	if u.opts.DryRun {
		u.dryRunProblems(r, f4, f6)
	}
	if !changed && !keepDue && !blind && !u.opts.DryRun {
		if why := u.checkTruth(ctx, r, f4, f6, ignoreBackoff); !why.IsZero() {
			msg.LogWarn(u.log, msg.T("ddns record differs from the DNS: sending it again", "DDNS のレコードが DNS の答えと違うため、送り直します"), "record", r.label, "dns", why)
			changed = true
		}
	}
	if !changed && !keepDue && !blind {
		u.unchanged.Add(1)
		if u.opts.DryRun {
			if f4.fresh || f6.fresh {
				u.dryRunLine(r, msg.T("%s: up to date (A %s, AAAA %s): nothing to send", "%s: 最新です（A %s、AAAA %s）。送るものはありません",
					r.label, addrOr(st.IPv4, "-"), addrOr(st.IPv6, "-")))
			} else {
				u.dryRunLine(r, msg.T("%s: no address to publish: nothing to send", "%s: 公開するアドレスがないため、送るものはありません", r.label))
			}
		}
		return srcErr(nil)
	}
	up := Update{Name: r.cfg.Name}
	if f4.fresh {
		up.IPv4, up.IPv4Local = f4.addr, f4.local
	}
	if f6.fresh {
		up.IPv6, up.IPv6Local = f6.addr, f6.local
	}
	// DuckDNS and dyndns2 fill a missing address from the request's source
	// (the MAP-E path): send the last good one instead.
	// (A seen family is never filled in: its request must carry no address.)
	switch r.prov.(type) {
	case *DuckDNS, *DynDNS2:
		if !up.IPv4.IsValid() && r.v4.Kind != config.SourceNone && r.v4.Kind != config.SourceSeen {
			up.IPv4 = st.IPv4
		}
		if !up.IPv6.IsValid() && r.v6.Kind != config.SourceNone && r.v6.Kind != config.SourceSeen {
			up.IPv6 = st.IPv6
		}
	}
	sp, viaSeen := r.prov.(SeenProvider)
	su := SeenUpdate{Update: up, Seen4: f4.fresh && f4.seen, Seen6: f6.fresh && f6.seen}
	viaSeen = viaSeen && (su.Seen4 || su.Seen6)
	if !up.IPv4.IsValid() && !up.IPv6.IsValid() && !viaSeen {
		return srcErr(nil)
	}
	if u.opts.DryRun {
		lines := r.prov.DryRun(up)
		if viaSeen {
			lines = sp.DryRunSeen(su)
		}
		for _, line := range lines {
			u.dryRunLine(r, msg.T("%s: would send:", "%s: 送る内容:", r.label))
			u.dryRunRequest(r, line)
		}
		return srcErr(nil)
	}
	if !ignoreBackoff && !u.mayRetry(ctx, r, up, now) {
		u.log.Debug("ddns backing off", "record", r.label, "until", st.NextTry.Format(time.RFC3339))
		return ErrBackingOff
	}
	var err error
	if viaSeen {
		up, err = u.seenUpdate(ctx, sp, su)
		if err == nil && blind {
			changed = changed || (su.Seen4 && up.IPv4.IsValid() && up.IPv4 != st.IPv4) || (su.Seen6 && up.IPv6.IsValid() && up.IPv6 != st.IPv6)
		}
	} else {
		err = r.prov.Update(ctx, up)
	}
	if err == nil {
		if v, ok := r.prov.(Verifier); ok {
			err = v.Verify(ctx, up)
		}
	}
	now = u.opts.Now()
	ev := Event{Record: r.label, Provider: r.cfg.Provider, Name: r.cfg.Name}
	if u.opts.OnEvent != nil {
		defer func() { u.opts.OnEvent(ev) }() // after the unlock below
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil {
		text := Scrub(err.Error(), r.secrets...)
		r.st.Failures++
		ev.Failures, ev.Err = r.st.Failures, text
		r.st.FailedIPv4, r.st.FailedIPv6 = up.IPv4, up.IPv6
		if KindOf(err) == KindUnreachable {
			r.retry.unreachableAt(now)
		} else {
			r.retry = retryState{}
		}
		delay := u.backoff(r, err)
		r.st.NextTry = now.Add(delay)
		r.st.LastError, r.st.LastErrorCode, r.st.LastErrorJA = text, msg.CodeOf(err), scrubText(err, r.secrets).OwnJA()
		u.failures.Add(1)
		u.countLocked(r.cfg.Provider, false, now)
		level := slog.LevelWarn
		if KindOf(err) == KindAuth {
			level = slog.LevelError
		}
		msg.Log(ctx, u.log, level, msg.T("ddns update failed", "DDNS の更新に失敗しました"), "record", r.label, "kind", KindOf(err).String(),
			"err", scrubText(err, r.secrets), "retry_in", delay.Round(time.Second).String())
		u.saveLocked(r)
		return errors.New(text)
	}
	if up.IPv4.IsValid() {
		r.st.IPv4 = up.IPv4
	}
	if up.IPv6.IsValid() {
		r.st.IPv6 = up.IPv6
	}
	r.st.LastUpdate, r.st.Failures, r.st.NextTry, r.st.LastError, r.st.LastErrorCode, r.st.LastErrorJA = now, 0, time.Time{}, "", "", ""
	r.st.FailedIPv4, r.st.FailedIPv6, r.retry = netip.Addr{}, netip.Addr{}, retryState{}
	r.truth = truth{at: now, sent: true}
	if changed {
		u.updates.Add(1)
	} else {
		u.keepalives.Add(1)
	}
	u.countLocked(r.cfg.Provider, true, now)
	msg.LogInfo(u.log, msg.T("ddns record published", "DDNS のレコードを公開しました"), "record", r.label, "ipv4", addrOrEmpty(up.IPv4), "ipv6", addrOrEmpty(up.IPv6),
		"keepalive", !changed)
	u.saveLocked(r)
	return srcErr(nil)
}

func (u *Updater) saveLocked(r *record) {
	if err := saveState(u.opts.StateDir, r.id, r.st); err != nil {
		msg.LogWarn(u.log, msg.T("ddns state not saved", "DDNS の状態を保存できませんでした"), "record", r.label, "dir", filepath.Clean(u.opts.StateDir), "err", err)
	}
}

// resolveFamily reads one family's source and applies the guards. A source
// error or a refusal is logged (once per distinct reason) and the family is
// left out of the update: the last good record stays.
func (u *Updater) resolveFamily(ctx context.Context, r *record, v6 bool) resolved {
	src, fam, last := r.v4, "ipv4", &r.lastRefusal4
	if v6 {
		src, fam, last = r.v6, "ipv6", &r.lastRefusal6
	}
	if src.Kind == config.SourceNone {
		return resolved{}
	}
	addr, local, err := u.resolve(ctx, r, src, v6)
	if err != nil {
		text := scrubText(err, r.secrets)
		if errors.Is(err, ErrNotPublishable) {
			u.refused.Add(1)
		}
		u.mu.Lock()
		prev := *last
		*last = text
		u.mu.Unlock()
		if text.EN != prev.EN {
			msg.LogWarn(u.log, msg.T("ddns address not published; keeping the last good record",
				"アドレスを公開しませんでした。最後に正しく公開したレコードを残します"), "record", r.label,
				"family", fam, "source", src.String(), "why", scrubText(err, r.secrets))
		}
		return resolved{err: msg.Errorf("%s source %s: %s", "%s（%s）: %s", fam, src.String(), text)}
	}
	u.mu.Lock()
	*last = msg.Text{}
	u.mu.Unlock()
	return resolved{addr: addr, local: local, fresh: true, seen: src.Kind == config.SourceSeen}
}

func (u *Updater) resolve(ctx context.Context, r *record, src config.Source, v6 bool) (addr, local netip.Addr, err error) {
	switch src.Kind {
	case config.SourceStatic:
		return src.Static, netip.Addr{}, CheckPublishable(src.Static, r.choice.AllowULA)
	case config.SourcePPPoE, config.SourceTunnel:
		a, err := u.sessionAddr()
		if err != nil {
			return netip.Addr{}, netip.Addr{}, err
		}
		if err := CheckPublishable(a, false); err != nil {
			return netip.Addr{}, netip.Addr{}, msg.Errorf("%s address %s: %w", "%s のアドレス %s: %w", src, a, err)
		}
		if err := u.notMAPE(a); err != nil {
			return netip.Addr{}, netip.Addr{}, err
		}
		return a, a, nil
	case config.SourceInterface:
		as, err := u.opts.Addrs(src.Link)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, err
		}
		if !v6 {
			a, err := ChooseIPv4(as)
			if err != nil {
				if hint := privateOnly(src.Link, as); hint != nil {
					err = hint
				}
			}
			return a, a, err
		}
		a, err := ChooseIPv6(as, r.choice)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, err
		}
		for _, x := range as {
			if x.Prefix.Addr() == a {
				return a, a, nil // bind to it: the kernel would prefer a temporary source (RFC 6724 rule 7)
			}
		}
		return a, netip.Addr{}, nil
	case config.SourceSeen:
		return u.resolveSeen(ctx, r, src, v6)
	case config.SourceHTTP:
		var via netip.Addr
		if !v6 {
			via, _ = u.sessionAddr() // ask through the session when we hold one
		}
		a, err := echo(ctx, src.URL, v6, via)
		if err != nil {
			return netip.Addr{}, netip.Addr{}, err
		}
		if err := CheckPublishable(a, r.choice.AllowULA); err != nil {
			return netip.Addr{}, netip.Addr{}, msg.Errorf("echo answered %s: %w", "echo の答え %s: %w", a, err)
		}
		// An IPv4 echo seen from the MAP-E shared address means the request
		// left by the IPoE router: that address serves no port 80/443.
		if a.Is4() {
			if err := u.notMAPE(a); err != nil {
				return netip.Addr{}, netip.Addr{}, err
			}
		}
		return a, netip.Addr{}, nil
	}
	return netip.Addr{}, netip.Addr{}, fmt.Errorf("no source")
}

// sessionAddr is the pushed session address, or the TUN device's IPv4.
func (u *Updater) sessionAddr() (netip.Addr, error) {
	u.mu.Lock()
	a, known := u.session, u.sessionKnown
	u.mu.Unlock()
	if known {
		if !a.IsValid() {
			return netip.Addr{}, msg.Err(msg.T("%s is down", "%sが切れています", u.sessionName))
		}
		return a, nil
	}
	as, err := u.opts.Addrs(u.tun)
	if err != nil {
		return netip.Addr{}, msg.Err(msg.T("the device %[2]s of %[1]s: %[3]v", "%[1]sのデバイス %[2]s: %[3]v", u.sessionName, u.tun, err))
	}
	for _, x := range as {
		if x.Prefix.Addr().Is4() {
			return x.Prefix.Addr(), nil
		}
	}
	return netip.Addr{}, msg.Err(msg.T("the device %[2]s of %[1]s has no IPv4 address (not up)",
		"%[1]sのデバイス %[2]s に IPv4 アドレスがありません（接続されていません）", u.sessionName, u.tun))
}

// notMAPE refuses the MAP-E shared IPv4 address of this server's own line:
// a record meant to carry the PPPoE address must never point there.
func (u *Updater) notMAPE(a netip.Addr) error {
	for _, p := range u.sharedIPv4() {
		if p.Contains(a) {
			return fmt.Errorf("%s is the MAP-E shared IPv4 address of this line (%s): refusing to publish it for a record meant to carry the PPPoE address: %w",
				a, p, ErrNotPublishable)
		}
	}
	return nil
}

// sharedIPv4 is the MAP-E shared IPv4 address of the lines that hold this
// server's IPv6 addresses (the config's interface and every interface
// source).
func (u *Updater) sharedIPv4() []netip.Prefix {
	links := map[string]bool{}
	if u.cfg.Interface != "" {
		links[u.cfg.Interface] = true
	}
	for _, r := range u.recs {
		if r.v6.Kind == config.SourceInterface {
			links[r.v6.Link] = true
		}
	}
	var v6 []netip.Addr
	for l := range links {
		as, err := u.opts.Addrs(l)
		if err != nil {
			continue
		}
		for _, x := range as {
			if x.Prefix.Addr().Is6() && !x.Prefix.Addr().IsLinkLocalUnicast() {
				v6 = append(v6, x.Prefix.Addr())
			}
		}
	}
	return MAPESharedIPv4(v6)
}

// dryRunLine prints one line of a dry run in the reader's language, fitted
// to 80 columns, with r's secrets masked.
func (u *Updater) dryRunLine(r *record, t msg.Text) {
	msg.Hanging(u.opts.Out, "", "    ", Scrub(t.In(u.opts.Lang), r.secrets...))
}

// dryRunRequest prints a request a dry run would send (a provider's
// DryRun line), indented: its first line, the request itself, whole so
// that a long URL can be copied; what follows (where it goes from, what
// the provider records) fitted to 80 columns.
func (u *Updater) dryRunRequest(r *record, t msg.Text) {
	req, note, _ := strings.Cut(Scrub(t.In(u.opts.Lang), r.secrets...), "\n")
	fmt.Fprintf(u.opts.Out, "    %s\n", req)
	if note != "" {
		msg.Hanging(u.opts.Out, "    ", "    ", note)
	}
}
