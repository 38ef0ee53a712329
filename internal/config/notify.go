package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Notify is the `notify:` section: where the daemon's events go (session
// up/down, address change, DNS update failed, reachability lost/regained,
// certificate expiring, daemon start/stop).
type Notify struct {
	Webhooks []Webhook     `yaml:"webhooks"`
	Hooks    []Hook        `yaml:"hooks"`
	Events   []string      `yaml:"events"`   // default: every event
	Debounce time.Duration `yaml:"debounce"` // the same event (kind, family, port; a DNS failure: the record) at most once per this; default 1m
}

// Webhook is one HTTP receiver.
type Webhook struct {
	URL       string `yaml:"url"`        // the receiver, when the URL holds no secret
	URLFile   string `yaml:"url_file"`   // a file holding the URL, when it is the secret (Discord, Slack), mode 0600
	Format    string `yaml:"format"`     // json (default) | ntfy | discord | slack
	TokenFile string `yaml:"token_file"` // sent as Authorization: Bearer (ntfy access token, own receivers), mode 0600
}

// Hook is one command run for each event, like pppd's ip-up.
type Hook struct {
	Command []string      `yaml:"command"` // argv; the first is an absolute path
	Timeout time.Duration `yaml:"timeout"` // default 10s
}

// Defaults and limits of the notify section.
const (
	DefaultNotifyDebounce = time.Minute
	MaxNotifyDebounce     = 24 * time.Hour
	DefaultHookTimeout    = 10 * time.Second
	MaxHookTimeout        = 5 * time.Minute
)

// WebhookFormats are the payload formats a webhook may use.
var WebhookFormats = []string{"json", "ntfy", "discord", "slack"}

// NotifyEvents are the event names notify.events may list.
var NotifyEvents = []string{"daemon_start", "daemon_stop", "session_up", "session_down", "address_change",
	"dns_update_failed", "reach_lost", "reach_regained", "cert_expiring", "tunnel_up", "tunnel_down", "tunnel_endpoint", "test"}

func (n *Notify) applyDefaults() {
	if n.Debounce == 0 {
		n.Debounce = DefaultNotifyDebounce
	}
	for i := range n.Hooks {
		if n.Hooks[i].Timeout == 0 {
			n.Hooks[i].Timeout = DefaultHookTimeout
		}
	}
	for i := range n.Webhooks {
		if n.Webhooks[i].Format == "" {
			n.Webhooks[i].Format = "json"
		}
	}
}

func (k *checker) notify() {
	n := k.c.Notify
	if n == nil {
		return
	}
	if len(n.Webhooks) == 0 && len(n.Hooks) == 0 {
		k.errorf("notify", "no webhooks and no hooks: add one, or remove the section")
	}
	for i, w := range n.Webhooks {
		at := fmt.Sprintf("notify.webhooks[%d]", i)
		switch {
		case w.URL == "" && w.URLFile == "":
			k.errorf(at+".url", "missing: the receiver's URL (or url_file, a file holding it, when the URL is the secret)")
		case w.URL != "" && w.URLFile != "":
			k.errorf(at+".url_file", "give url or url_file, not both")
		case w.URL != "":
			k.httpURL(at+".url", w.URL)
			if strings.Contains(w.URL, "@") || strings.Contains(strings.ToLower(w.URL), "token=") {
				k.errorf(at+".url", "the URL carries a secret (user:password@ or token=): put it in url_file (mode 0600) or token_file")
			}
		default:
			k.secret(at+".url_file", w.URLFile)
		}
		if !slices.Contains(WebhookFormats, w.Format) {
			k.errorf(at+".format", "%q is not a format: use %s", w.Format, strings.Join(WebhookFormats, ", "))
		}
		if w.TokenFile != "" {
			k.secret(at+".token_file", w.TokenFile)
		}
	}
	for i, h := range n.Hooks {
		at := fmt.Sprintf("notify.hooks[%d]", i)
		if len(h.Command) == 0 || h.Command[0] == "" {
			k.errorf(at+".command", "missing: the program and its arguments, e.g. [/usr/local/bin/on-event, --quiet]")
		} else if !filepath.IsAbs(h.Command[0]) {
			k.errorf(at+".command", "%q is not an absolute path: write the program in full", h.Command[0])
		}
		if h.Timeout < 0 || h.Timeout > MaxHookTimeout {
			k.errorf(at+".timeout", "%s is out of range: use up to %s (10s is the default)", h.Timeout, MaxHookTimeout)
		}
	}
	for i, e := range n.Events {
		if !slices.Contains(NotifyEvents, e) {
			k.errorf(fmt.Sprintf("notify.events[%d]", i), "%q is not an event: use %s", e, strings.Join(NotifyEvents, ", "))
		}
	}
	if n.Debounce < 0 || n.Debounce > MaxNotifyDebounce {
		k.errorf("notify.debounce", "%s is out of range: use 0s to %s (1m is the default)", n.Debounce, MaxNotifyDebounce)
	}
}
