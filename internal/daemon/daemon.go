package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/dataplane"
	"github.com/dualpath/dualpath/internal/ddns"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/notify"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/internal/tunnel"
)

// Options configure Run.
type Options struct {
	// Config is the loaded and checked config (CheckConfig).
	Config *config.Config
	// Version is reported by status and metrics.
	Version string
	// Logger receives the daemon's log; nil discards it.
	Logger *slog.Logger
	// Getenv reads DUALPATH_PPPOE_PASSWORD; nil means os.Getenv.
	Getenv func(string) string
	// Notify sends one systemd notification ("READY=1", "STATUS=...");
	// nil means sd_notify on $NOTIFY_SOCKET (a no-op outside systemd).
	Notify func(state string)
	// SessionBackoff bounds the wait before the daemon restarts a session
	// whose Run gave up (missing interface, privileges); default 5 s to 5 min.
	// The session reconnects by itself after ordinary losses.
	MinSessionBackoff, MaxSessionBackoff time.Duration
	// CheckSettle is how long after an address change the reachability
	// check waits for DNS (default 30 s); CheckPoll how often addresses are
	// compared (default 5 s). Tests shorten them.
	CheckSettle, CheckPoll time.Duration
	// TunnelTiming, when set, adjusts the fixed-IP tunnel's timers
	// (tests shorten them).
	TunnelTiming func(*tunnel.Config)
	// DDNS tunes the DNS updater (tests shorten its timers); Logger and
	// StateDir are filled in by the daemon when left empty.
	DDNS ddns.Options
}

// sessionRunner is one PPPoE client that reconnects by itself until its
// context ends (session.Client).
type sessionRunner interface {
	Run(ctx context.Context) error
	Stats() dataplane.Stats // IP packets and bytes through the session
}

// newSession builds the real PPPoE client; a variable so that a test of
// supervision can count restarts.
var newSession = func(cfg session.ClientConfig) (sessionRunner, error) {
	return session.NewClient(cfg)
}

// journalFile is the daemon's own host-change journal (the firewall table);
// the session keeps its own next to it.
const journalFile = "daemon.journal"

type daemon struct {
	cfg    *config.Config
	opts   Options
	log    *slog.Logger
	st     *State
	notify func(string)

	ddnsMu sync.Mutex
	ddns   *ddns.Updater

	sessMu  sync.Mutex
	session sessionRunner // the running PPPoE client, for its counters

	reach    reachBox         // the last reachability check (reach.go)
	notifier *notify.Notifier // nil without a notify section (events.go)
	warned   *warnLog         // host warnings put in the log (warnlog.go)
}

// Run is `dualpath run`: it removes leftovers of an unclean exit, puts the
// firewall in place, starts answering status and metrics, tells systemd it
// is ready, then supervises the PPPoE session and the DNS updater until ctx
// ends. On the way out the session sends PADT and removes its devices,
// rules and routes, then the firewall table goes, leaving the host as found.
// The error is nil after a clean stop.
func Run(ctx context.Context, opts Options) (err error) {
	cfg := opts.Config
	if cfg == nil {
		return errors.New("daemon: no config")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Notify == nil {
		opts.Notify = sdNotify
	}
	if opts.MinSessionBackoff == 0 {
		opts.MinSessionBackoff = 5 * time.Second
	}
	if opts.MaxSessionBackoff == 0 {
		opts.MaxSessionBackoff = 5 * time.Minute
	}
	d := &daemon{cfg: cfg, opts: opts, log: opts.Logger, st: NewState(opts.Version), notify: opts.Notify}
	metricsAddr := cfg.Metrics.Listen
	if metricsAddr == "off" {
		metricsAddr = ""
	}
	d.st.SetConfig(cfg.Path, metricsAddr)
	msg.LogInfo(d.log, msg.T("dualpath starting", "dualpath を起動します"), "version", opts.Version, "config", cfg.Path, "pid", os.Getpid())

	// 1. The journal: leftovers of a crashed run are undone here.
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory %s: %v", cfg.StateDir, err)
	}
	j, err := hostnet.OpenJournal(filepath.Join(cfg.StateDir, journalFile))
	if err != nil {
		return err
	}
	if rec := j.Recovered(); len(rec) > 0 {
		msg.LogWarn(d.log, msg.T("removed leftovers of an unclean exit", "前回の異常終了で残った変更を取り消しました"), "changes", changeList(rec))
	}
	defer func() {
		if uerr := j.UndoAll(); uerr != nil {
			msg.LogError(d.log, msg.T("could not undo every host change; the next start retries",
				"ホストへの変更をすべては元に戻せませんでした。次の起動時にやり直します"), "err", uerr, "journal", j.Path())
			if err == nil {
				err = uerr
			}
		} else {
			msg.LogInfo(d.log, msg.T("host left as found", "ホストを起動前の状態に戻しました"))
		}
		j.Close()
	}()

	// 2. The firewall, before any session exists (fail-closed).
	// The same table guards the PPPoE session's TUN or the fixed-IP
	// tunnel's.
	if dev := inboundTUN(cfg); dev != "" {
		icmpEcho := cfg.Expose.ICMPEcho == nil || *cfg.Expose.ICMPEcho // default on, also for configs built in code
		spec := hostnet.FirewallSpec{Interface: dev, TCP: cfg.Expose.TCP, UDP: cfg.Expose.UDP, ICMPEcho: icmpEcho}
		if err := j.ApplyFirewall(spec); err != nil {
			return fmt.Errorf("firewall: %w", err)
		}
		d.st.SetFirewall(FirewallStatus{Active: true, Interface: dev, TCP: spec.TCP, UDP: spec.UDP, ICMPEcho: spec.ICMPEcho})
		msg.LogInfo(d.log, msg.T("firewall in place", "ファイアウォールを設定しました"), "interface", dev, "tcp", config.FormatPorts(spec.TCP), "udp", config.FormatPorts(spec.UDP), "icmp_echo", spec.ICMPEcho)
		if p := cfg.PPPoE; p != nil {
			d.st.SetTraffic(sessionTraffic{d})
			d.st.SessionConfigured(cfg.Interface, p.TUN, p.MTU)
		} else {
			d.st.SetTraffic(tunTraffic(dev))
			d.st.SetComponent("session", false, msg.T("replaced by the tunnel section", "tunnel のセクションが代わりを務めます"))
		}
	} else {
		d.st.SetComponent("session", false, msg.T("no pppoe section in the config (two-router mode)",
			"設定に pppoe のセクションがありません（ルーター2台の構成）"))
		d.st.SetComponent("firewall", false, msg.T("no pppoe section: there is no PPPoE address to guard",
			"pppoe のセクションがないため、守る PPPoE のアドレスがありません"))
	}
	d.st.SetLine(newLineCache(cfg.Interface))
	hostWarn := newWarningsCache(hostWarnings{cfg}, warningsTTL)
	d.st.SetWarnings(hostWarn)
	d.warned = &warnLog{src: hostWarn}

	// 3. Status and metrics.
	srv, err := ListenStatus(cfg.Status.Socket, cfg.Status.Group, d.st.Snapshot, d.log)
	if err != nil {
		return err
	}
	defer srv.Close()
	if metricsAddr != "" {
		m, err := ListenMetrics(metricsAddr, cfg.Metrics.AllowRemote, NewRegistry(d.st), d.log)
		if err != nil {
			return err
		}
		defer m.Close()
		msg.LogInfo(d.log, msg.T("metrics served", "メトリクスを公開しています"), "url", "http://"+m.Addr()+"/metrics")
	}

	// 4. The DNS updater, fed with session addresses.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	if len(cfg.DDNS) > 0 {
		o := opts.DDNS
		if o.Logger == nil {
			o.Logger = d.log.With("component", "ddns")
		}
		o.OnEvent = d.dnsFailureNotifier()
		u, err := ddns.New(cfg, o)
		if err != nil {
			return fmt.Errorf("ddns: %v", err)
		}
		d.ddnsMu.Lock()
		d.ddns = u
		d.ddnsMu.Unlock()
		d.st.SetComponent("ddns", true, msg.Text{})
		d.st.SetDNS(dnsView{u})
		d.st.SetDNSCounters(u) // started with the notifier (events.go)
	} else {
		d.st.SetComponent("ddns", false, msg.T("no ddns records in the config", "設定に ddns のレコードがありません"))
	}

	// 5. Events and the look from outside (events.go, reach.go).
	if err := d.startOutside(runCtx, &wg); err != nil {
		return err
	}

	// 6. Ready: the firewall guards the TUN name before the session exists.
	d.notify("READY=1")
	d.notify("STATUS=" + d.statusLine())
	msg.LogInfo(d.log, msg.T("dualpath ready", "dualpath の準備ができました"), "status_socket", srv.Path())
	wg.Add(1)
	go func() { defer wg.Done(); d.watchdog(runCtx) }()

	// 7. The session, supervised until ctx ends.
	var sessErr error
	if cfg.PPPoE != nil {
		sessErr = d.superviseSession(ctx)
	} else if cfg.Tunnel != nil {
		sessErr = d.superviseTunnel(ctx)
	} else {
		<-ctx.Done()
	}
	d.notify("STOPPING=1")
	msg.LogInfo(d.log, msg.T("dualpath stopping", "dualpath を停止します"))
	d.event(notify.DaemonStop, nil)
	stop()
	wg.Wait()
	return sessErr
}

// superviseSession runs the PPPoE client, restarting it with backoff when it
// gives up, until ctx ends. It returns an error only for a config the
// session refuses (nothing a restart could fix).
func (d *daemon) superviseSession(ctx context.Context) error {
	p := d.cfg.PPPoE
	password, err := p.Password(d.opts.Getenv)
	if err != nil {
		return err
	}
	ccfg, err := session.ClientConfigFrom(d.cfg.Interface, d.cfg.StateDir, p, []byte(password))
	if err != nil {
		return err
	}
	ccfg.OnEvent = d.onSessionEvent
	return d.supervise(ctx, func(ctx context.Context) error {
		c, err := newSession(ccfg)
		if err != nil {
			return &fatalError{fmt.Errorf("pppoe: %v", err)}
		}
		d.sessMu.Lock()
		d.session = c
		d.sessMu.Unlock()
		if d.st.SessionState(StateConnecting) {
			d.notify("STATUS=" + d.statusLine())
		}
		if err := c.Run(ctx); err != nil {
			return err
		}
		return errors.New("the session stopped without a reason")
	}, func(err error) {
		d.st.SessionDown(msg.ErrorText(err), msg.CodeOf(err))
	}, msg.T("PPPoE session gave up; restarting it", "PPPoE セッションが止まりました。起動し直します"))
}

// sessionTraffic reads the running session's data-plane counters (zero
// before the first session).
type sessionTraffic struct{ d *daemon }

func (t sessionTraffic) Traffic() Traffic {
	d := t.d
	d.sessMu.Lock()
	c := d.session
	d.sessMu.Unlock()
	if c == nil {
		return Traffic{}
	}
	st := c.Stats()
	return Traffic{RxBytes: st.RxBytes, TxBytes: st.TxBytes, RxPackets: st.RxPackets, TxPackets: st.TxPackets}
}

// tunTraffic reads a TUN device's kernel counters (the fixed-IP tunnel's).
type tunTraffic string

func (t tunTraffic) Traffic() Traffic { return linkTraffic(string(t)) }

// hostWarnings looks at the host for what would make an exposed port fail.
type hostWarnings struct{ cfg *config.Config }

func (w hostWarnings) Warnings() []msg.Text { return warnings(w.cfg) }

// warningsTTL is how long the host's warnings are reused: looking costs a
// `nft -j list ruleset` process, its JSON parse and /proc's socket tables
// (about 1.5 MB of garbage each time), and a monitor, a test or the lab may
// ask for the status many times a second. A fix on the host (nginx listening
// on [::]:443, a ufw rule) shows in the status within this time.
const warningsTTL = 5 * time.Second

// warningsCache computes its source's warnings at most once per ttl.
type warningsCache struct {
	src WarningSource
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	at   time.Time
	last []msg.Text
}

func newWarningsCache(src WarningSource, ttl time.Duration) *warningsCache {
	return &warningsCache{src: src, ttl: ttl, now: time.Now}
}

func (c *warningsCache) Warnings() []msg.Text {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); c.at.IsZero() || now.Sub(c.at) >= c.ttl || now.Before(c.at) {
		c.last, c.at = c.src.Warnings(), now
	}
	return slices.Clone(c.last)
}

// onSessionEvent turns session events into state, DNS updates, logs and
// systemd status. Events never carry the password.
func (d *daemon) onSessionEvent(e session.Event) {
	switch e.Kind {
	case session.KindDiscovery:
		if e.State == "padi" && d.st.SessionState(StateConnecting) {
			d.notify("STATUS=" + d.statusLine())
		}
		d.log.Debug("pppoe discovery", "state", e.State, "ac_name", e.ACName, "reason", e.Reason)
	case session.KindSession:
		msg.LogInfo(d.log, msg.T("pppoe session established", "PPPoE セッションを確立しました"), "ac_name", e.ACName, "ac_mac", e.ACMAC.String(), "session_id", e.SessionID)
	case session.KindAuth:
		if e.State == "ok" {
			msg.LogInfo(d.log, msg.T("pppoe authenticated", "PPPoE の認証に成功しました"), "method", e.Method.String())
		} else {
			msg.LogWarn(d.log, msg.T("pppoe authentication failed", "PPPoE の認証に失敗しました"), "method", e.Method.String(), "reason", msg.CodeText(e.Code, e.Reason))
		}
	case session.KindUp:
		d.st.SessionUp(e.Address, e.Peer, e.DNS, e.MTU)
		d.setDDNSAddress(e.Address)
		d.event(notify.SessionUp, map[string]string{"family": "ipv4", "address": e.Address.String()})
		msg.LogInfo(d.log, msg.T("pppoe session up", "PPPoE セッションがつながりました"), "address", e.Address, "peer", e.Peer, "dns", joinAddrs(e.DNS), "mtu", e.MTU)
		go d.warned.check(d)
		d.notify("STATUS=" + d.statusLine())
	case session.KindDown:
		why := msg.CodeText(e.Code, e.Reason)
		if e.Err != nil { // the host's part, and what failed there
			why.JA = msg.T("%s: %v", "%s: %v", why, e.Err).JA
		}
		d.st.SessionDown(why, e.Code)
		d.setDDNSAddress(netip.Addr{})
		d.event(notify.SessionDown, map[string]string{"family": "ipv4", "reason": e.Reason, "code": e.Code})
		msg.LogWarn(d.log, msg.T("pppoe session down", "PPPoE セッションが切れました"), "reason", msg.CodeText(e.Code, e.Reason), "cause", e.Cause.String(), "retry_in", e.RetryIn.String())
		d.notify("STATUS=" + d.statusLine())
	case session.KindCleanup:
		what := msg.Same(e.Reason) // the host changes undone: the commands' own words
		if e.SessionID != 0 {
			what = msg.T("sent PADT for stale session %#04x to %s", "前回のセッション %#04x を終えるよう AC（%s）に PADT を送りました",
				e.SessionID, e.ACMAC)
		}
		msg.LogWarn(d.log, msg.T("pppoe cleanup", "PPPoE: 前回の実行の残りを片付けました"), "what", what)
	default:
		d.log.Debug("pppoe event", "event", string(e.Kind), "state", e.State, "reason", e.Reason)
	}
}

// joinAddrs writes addresses as a log value: "192.0.2.53,192.0.2.54".
func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

func (d *daemon) setDDNSAddress(a netip.Addr) {
	d.ddnsMu.Lock()
	u := d.ddns
	d.ddnsMu.Unlock()
	if u != nil {
		u.SetSessionAddress(a)
	}
}

// statusLine is the one line systemd shows (`systemctl status dualpath`),
// in the log's language.
func (d *daemon) statusLine() string {
	return d.statusText().In(msg.LangOf(d.log))
}

func (d *daemon) statusText() msg.Text {
	s := d.st.Brief()
	ss := s.Session
	switch {
	case d.cfg.Tunnel != nil:
		return d.tunnelStatusText(s)
	case d.cfg.PPPoE == nil:
		return msg.T("no PPPoE session configured; DNS records: %d", "PPPoE セッションの設定なし。DNS レコード %d 件", len(s.DNS))
	case ss.State == StateUp:
		return msg.T("session up: %s on %s, firewall on, %d reconnects", "セッション接続中: %s（%s）、ファイアウォール有効、再接続 %d 回",
			ss.Address, ss.TUN, ss.Reconnects)
	case ss.LastError != "":
		return msg.T("session %s (%s), firewall on", "セッション%s（%s）、ファイアウォール有効",
			sessionStateWord(ss.State), msg.FromWire(ss.LastErrorCode, ss.LastError, ss.LastErrorJA))
	}
	return msg.T("session %s, firewall on", "セッション%s、ファイアウォール有効", sessionStateWord(ss.State))
}

// sessionStateWord is the state as the status line says it: the JSON
// value ("connecting") in English, the status command's word in Japanese.
func sessionStateWord(state string) msg.Text {
	return msg.Text{EN: state, JA: sessionState(state).JA}
}

func changeList(cs []hostnet.Change) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.What
	}
	return strings.Join(s, "; ")
}
