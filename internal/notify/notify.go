// Package notify tells people what the daemon saw: each Event goes to the
// configured webhooks (generic JSON, ntfy, Discord or Slack payloads) and
// hook commands (the event and its facts in environment variables, like
// pppd's ip-up). Sending never blocks the daemon: events are queued and
// delivered by one worker, a failing or slow receiver is logged and
// dropped after a timeout. The same event (kind, family, port; for
// dns_update_failed the record) is sent at
// most once per debounce window, but a change of state (session down, then
// up) always is. Payloads carry no secret: webhook URLs
// and tokens come from files and are scrubbed from every message.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// Kind is an event's name, as webhooks and hooks see it.
type Kind string

// The events.
const (
	DaemonStart     Kind = "daemon_start"
	DaemonStop      Kind = "daemon_stop"
	SessionUp       Kind = "session_up"
	SessionDown     Kind = "session_down"
	AddressChange   Kind = "address_change"
	DNSUpdateFailed Kind = "dns_update_failed"
	ReachLost       Kind = "reach_lost"
	ReachRegained   Kind = "reach_regained"
	CertExpiring    Kind = "cert_expiring"
	// The fixed-IP tunnel (tunnel section): the BR answers, stopped
	// answering, or the end point moved with a new IPv6 prefix.
	TunnelUp       Kind = "tunnel_up"
	TunnelDown     Kind = "tunnel_down"
	TunnelEndpoint Kind = "tunnel_endpoint"
	Test           Kind = "test"
)

// Event is one thing that happened. Facts are short values (addresses,
// families, ports, causes), never secrets.
type Event struct {
	Kind  Kind
	Time  time.Time
	Host  string
	Facts map[string]string
}

// Message is the event in one English line, for chat payloads and logs.
func (e Event) Message() string {
	f := e.Facts
	fam := familyName(f["family"])
	var s string
	switch e.Kind {
	case DaemonStart:
		s = "dualpath started"
	case DaemonStop:
		s = "dualpath stopped"
	case SessionUp:
		s = "PPPoE session up, address " + f["address"]
	case SessionDown:
		s = "PPPoE session down: " + f["reason"]
	case AddressChange:
		s = fmt.Sprintf("%s address changed: %s -> %s", fam, orNone(f["old"]), orNone(f["new"]))
	case DNSUpdateFailed:
		s = fmt.Sprintf("DNS update of %s (%s) failed %s times: %s", f["name"], f["provider"], f["failures"], f["error"])
	case ReachLost:
		s = fmt.Sprintf("%s no longer reachable from outside: %s", fam, f["cause"])
	case ReachRegained:
		s = fmt.Sprintf("%s reachable from outside again", fam)
	case CertExpiring:
		s = fmt.Sprintf("the certificate on %s port %s expires in %s days (%s)", fam, f["port"], f["days_left"], f["not_after"])
	case TunnelUp:
		s = "fixed-IP tunnel up, address " + f["address"] + " via " + f["local"]
	case TunnelDown:
		s = "fixed-IP tunnel not answering: " + f["reason"]
	case TunnelEndpoint:
		s = fmt.Sprintf("new IPv6 prefix: tunnel end point %s -> %s", orNone(f["old"]), orNone(f["new"]))
	case Test:
		s = "test notification from dualpath notify --test"
	default:
		s = string(e.Kind)
	}
	if e.Host != "" {
		return "dualpath on " + e.Host + ": " + s
	}
	return "dualpath: " + s
}

func familyName(f string) string {
	switch f {
	case "ipv4":
		return "IPv4"
	case "ipv6":
		return "IPv6"
	}
	return "IP"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// group is what debouncing compares: an event is dropped when the last
// one sent of its group, within the window, was of the same kind. Events
// that tell a state (session up/down, reachability lost/regained per
// family) share a group, so a change of state is always sent: after
// session_down, session_up goes out however soon it comes.
func (e Event) group() string {
	switch e.Kind {
	case SessionUp, SessionDown:
		return "session"
	case TunnelUp, TunnelDown:
		return "tunnel"
	case ReachLost, ReachRegained:
		return "reach/" + e.Facts["family"]
	case DNSUpdateFailed: // each record of its own: one failing does not hide another
		return string(e.Kind) + "/" + e.Facts["provider"] + "/" + e.Facts["name"]
	}
	return string(e.Kind) + "/" + e.Facts["family"] + "/" + e.Facts["port"]
}

type sent struct {
	kind Kind
	at   time.Time
}

// Sink is one destination.
type Sink interface {
	Name() string // for logs: "webhook https://ntfy.sh/...", "hook /usr/local/bin/x"
	Deliver(ctx context.Context, e Event) error
}

// queueSize bounds the events waiting for delivery; more are dropped
// (and logged) rather than block the daemon.
const queueSize = 64

// deliverTimeout bounds one delivery to one webhook.
const deliverTimeout = 10 * time.Second

// Notifier queues events and delivers them.
type Notifier struct {
	sinks    []Sink
	events   map[Kind]bool // nil: all
	debounce time.Duration
	host     string
	log      *slog.Logger
	now      func() time.Time

	mu    sync.Mutex
	last  map[string]sent
	queue chan Event
	done  chan struct{}
}

// New builds the notifier of a config section; readSecret reads url_file
// and token_file.
func New(n *config.Notify, readSecret func(string) (string, error), log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	nt := &Notifier{debounce: n.Debounce, host: host, log: log, now: time.Now,
		last: map[string]sent{}, queue: make(chan Event, queueSize), done: make(chan struct{})}
	if len(n.Events) > 0 {
		nt.events = map[Kind]bool{}
		for _, e := range n.Events {
			nt.events[Kind(e)] = true
		}
	}
	for i, w := range n.Webhooks {
		s, err := newWebhook(w, readSecret)
		if err != nil {
			return nil, fmt.Errorf("notify.webhooks[%d]: %v", i, err)
		}
		nt.sinks = append(nt.sinks, s)
	}
	for _, h := range n.Hooks {
		nt.sinks = append(nt.sinks, &hook{argv: h.Command, timeout: h.Timeout, log: log})
	}
	return nt, nil
}

// Sinks lists the destinations.
func (n *Notifier) Sinks() []Sink { return n.sinks }

// Send queues e for delivery and returns at once. It is dropped when the
// config does not ask for its kind, when the same event was sent within
// the debounce window, or when the queue is full.
func (n *Notifier) Send(e Event) {
	if n == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = n.now()
	}
	if e.Host == "" {
		e.Host = n.host
	}
	if n.events != nil && !n.events[e.Kind] && e.Kind != Test {
		return
	}
	n.mu.Lock()
	g := e.group()
	if l, ok := n.last[g]; ok && l.kind == e.Kind && n.debounce > 0 && e.Time.Sub(l.at) < n.debounce {
		n.mu.Unlock()
		n.log.Debug("notification debounced", "event", e.Kind)
		return
	}
	n.last[g] = sent{e.Kind, e.Time}
	n.mu.Unlock()
	e.Facts = maps.Clone(e.Facts)
	select {
	case n.queue <- e:
	default:
		msg.LogWarn(n.log, msg.T("notification dropped: the queue is full (receivers too slow?)",
			"通知を捨てました。送信待ちがいっぱいです（受け手が遅すぎる？）"), "event", e.Kind)
	}
}

// Run delivers queued events until ctx ends, then delivers what is still
// queued (daemon_stop among it) within a short grace period.
func (n *Notifier) Run(ctx context.Context) {
	defer close(n.done)
	for {
		select {
		case e := <-n.queue:
			n.deliver(context.Background(), e)
		case <-ctx.Done():
			grace, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			for {
				select {
				case e := <-n.queue:
					n.deliver(grace, e)
				default:
					return
				}
			}
		}
	}
}

// Wait returns when Run has returned.
func (n *Notifier) Wait() { <-n.done }

// deliver sends e to every sink, each bounded in time; failures are logged.
func (n *Notifier) deliver(ctx context.Context, e Event) {
	for _, s := range n.sinks {
		if err := n.DeliverTo(ctx, s, e); err != nil {
			msg.LogWarn(n.log, msg.T("notification failed", "通知を送れませんでした"), "to", s.Name(), "event", e.Kind, "err", err)
		} else {
			n.log.Debug("notification sent", "to", s.Name(), "event", e.Kind)
		}
	}
}

// DeliverTo sends e to one sink now (dualpath notify --test uses it).
func (n *Notifier) DeliverTo(ctx context.Context, s Sink, e Event) error {
	if e.Time.IsZero() {
		e.Time = n.now()
	}
	if e.Host == "" {
		e.Host = n.host
	}
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	return s.Deliver(ctx, e)
}

// sortedFacts returns the fact names in order (stable payloads and env).
func sortedFacts(f map[string]string) []string {
	ks := slices.Collect(maps.Keys(f))
	slices.Sort(ks)
	return ks
}

// envName is a fact's environment variable: DUALPATH_ and the name in
// upper case, other characters as _.
func envName(k string) string {
	var b strings.Builder
	b.WriteString("DUALPATH_")
	for _, r := range strings.ToUpper(k) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
