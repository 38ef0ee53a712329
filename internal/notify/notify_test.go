package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
)

// receiver is a real local HTTP server that records what webhooks post.
type receiver struct {
	mu   sync.Mutex
	got  []received
	srv  *httptest.Server
	hang chan struct{} // when set, requests wait on it
}

type received struct {
	path, auth, ctype, title string
	body                     []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.hang != nil {
			select {
			case <-r.hang:
			case <-req.Context().Done():
			}
		}
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Path, req.Header.Get("Authorization"), req.Header.Get("Content-Type"), req.Header.Get("Title"), b})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		if len(r.got) >= n {
			out := append([]received(nil), r.got...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("receiver got %d requests, want %d", len(r.got), n)
	return nil
}

func secretFile(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// allEvents is one event of each kind, with the facts the daemon gives.
func allEvents() []Event {
	return []Event{
		{Kind: DaemonStart},
		{Kind: SessionUp, Facts: map[string]string{"address": "203.0.113.7"}},
		{Kind: SessionDown, Facts: map[string]string{"reason": "PADT from the access concentrator"}},
		{Kind: AddressChange, Facts: map[string]string{"family": "ipv4", "old": "203.0.113.7", "new": "203.0.113.9"}},
		{Kind: DNSUpdateFailed, Facts: map[string]string{"provider": "mydns", "name": "www.example.jp", "failures": "3", "error": "login failed"}},
		{Kind: ReachLost, Facts: map[string]string{"family": "ipv6", "cause": "IPv6 port 80 filtered before reaching the server: the router's IPv6 filter?"}},
		{Kind: ReachRegained, Facts: map[string]string{"family": "ipv6"}},
		{Kind: CertExpiring, Facts: map[string]string{"family": "ipv4", "port": "443", "days_left": "5", "not_after": "2026-12-08T00:00:00Z"}},
		{Kind: TunnelUp, Facts: map[string]string{"family": "ipv4", "address": "203.0.113.8", "local": "2001:db8:1:2::fe01"}},
		{Kind: TunnelEndpoint, Facts: map[string]string{"family": "ipv6", "old": "2001:db8:1:2::fe01", "new": "2001:db8:1:3::fe01"}},
		{Kind: TunnelDown, Facts: map[string]string{"family": "ipv4", "reason": "the border relay did not send the probe back through the tunnel"}},
		{Kind: DaemonStop},
		{Kind: Test},
	}
}

func run(t *testing.T, n *Notifier) func() {
	ctx, cancel := context.WithCancel(context.Background())
	go n.Run(ctx)
	return func() { cancel(); n.Wait() }
}

func TestWebhookJSONEveryEvent(t *testing.T) {
	r := newReceiver(t)
	tok := "tok-9f8e7d6c5b4a"
	n, err := New(&config.Notify{Webhooks: []config.Webhook{{URL: r.srv.URL + "/hook", Format: "json", TokenFile: secretFile(t, "tok", tok)}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, n)
	defer stop()
	evs := allEvents()
	for _, e := range evs {
		n.Send(e)
	}
	got := r.wait(t, len(evs))
	for i, g := range got {
		var p JSONPayload
		if err := json.Unmarshal(g.body, &p); err != nil {
			t.Fatalf("%s: %v", g.body, err)
		}
		e := evs[i]
		if p.Event != e.Kind || p.Host == "" || p.Time.IsZero() || !strings.HasPrefix(p.Message, "dualpath on ") {
			t.Errorf("payload %s for %s", g.body, e.Kind)
		}
		for k, v := range e.Facts {
			if p.Facts[k] != v {
				t.Errorf("%s: fact %s = %q, want %q", e.Kind, k, p.Facts[k], v)
			}
		}
		if g.auth != "Bearer "+tok || g.ctype != "application/json" || g.path != "/hook" {
			t.Errorf("%s: auth %q type %q path %q", e.Kind, g.auth, g.ctype, g.path)
		}
		if strings.Contains(string(g.body), tok) {
			t.Errorf("the token is in the payload: %s", g.body)
		}
	}
}

func TestChatFormats(t *testing.T) {
	for _, c := range []struct {
		format, key string
	}{{"discord", "content"}, {"slack", "text"}, {"ntfy", ""}} {
		r := newReceiver(t)
		// The URL is the secret: it comes from a file and never shows.
		secretPath := "/api/webhooks/123456/S3CRET-abcdef"
		n, err := New(&config.Notify{Webhooks: []config.Webhook{{URLFile: secretFile(t, "url", r.srv.URL+secretPath), Format: c.format}}}, config.ReadSecret, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(n.Sinks()[0].Name(), "S3CRET") {
			t.Errorf("%s: the sink's name shows the URL's secret: %s", c.format, n.Sinks()[0].Name())
		}
		stop := run(t, n)
		evs := allEvents()
		for _, e := range evs {
			n.Send(e)
		}
		got := r.wait(t, len(evs))
		stop()
		for i, g := range got {
			e := evs[i]
			e.Host = n.host
			want := e.Message()
			var text string
			if c.key == "" {
				text = string(g.body)
				if g.title != "dualpath: "+strings.ReplaceAll(string(evs[i].Kind), "_", " ") {
					t.Errorf("ntfy title %q", g.title)
				}
			} else {
				var m map[string]string
				if err := json.Unmarshal(g.body, &m); err != nil {
					t.Fatalf("%s: %s: %v", c.format, g.body, err)
				}
				text = m[c.key]
			}
			if text != want || g.path != secretPath {
				t.Errorf("%s %s: %q at %s, want %q", c.format, evs[i].Kind, text, g.path, want)
			}
		}
	}
}

func TestHookEveryEvent(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "events")
	script := filepath.Join(dir, "on-event")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$DUALPATH_EVENT family=$DUALPATH_FAMILY port=$DUALPATH_PORT cause=$DUALPATH_CAUSE\" >> "+out+"\necho logged-output\n"), 0o755)
	var logs strings.Builder
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) }), nil))
	n, err := New(&config.Notify{Hooks: []config.Hook{{Command: []string{script}, Timeout: 5 * time.Second}}}, config.ReadSecret, log)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, n)
	evs := allEvents()
	for _, e := range evs {
		n.Send(e)
	}
	var lines []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(out)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) == len(evs) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if len(lines) != len(evs) {
		t.Fatalf("hook ran %d times, want %d: %q", len(lines), len(evs), lines)
	}
	for i, e := range evs {
		if !strings.HasPrefix(lines[i], string(e.Kind)+" family="+e.Facts["family"]+" port="+e.Facts["port"]) {
			t.Errorf("hook line %q for %s", lines[i], e.Kind)
		}
	}
	if !strings.Contains(lines[5], "cause=IPv6 port 80 filtered") {
		t.Errorf("reach_lost cause not in the environment: %q", lines[5])
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "logged-output") {
		t.Errorf("the hook's output is not logged:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestHookTimeout(t *testing.T) {
	n, err := New(&config.Notify{Hooks: []config.Hook{{Command: []string{"/bin/sleep", "30"}, Timeout: 200 * time.Millisecond}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = n.DeliverTo(context.Background(), n.Sinks()[0], Event{Kind: Test})
	if err == nil || !strings.Contains(err.Error(), "killed after 200ms") {
		t.Errorf("got %v, want killed after the timeout", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the hook was not stopped at its timeout (%s)", time.Since(start))
	}
}

// A receiver that never answers must not hold the daemon: Send returns at
// once, whatever the receiver does, and a full queue drops events.
func TestFailingWebhookNeverBlocks(t *testing.T) {
	r := newReceiver(t)
	r.hang = make(chan struct{})
	n, err := New(&config.Notify{Webhooks: []config.Webhook{{URL: r.srv.URL, Format: "json"}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, n)
	defer stop()
	defer close(r.hang) // before stop: let the worker finish
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10*queueSize; i++ {
			n.Send(Event{Kind: AddressChange, Facts: map[string]string{"family": "ipv4", "port": string(rune('a' + i%26)), "new": "x"}, Time: time.Unix(int64(i), 0)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Send blocked behind a receiver that does not answer")
	}
}

func TestDebounce(t *testing.T) {
	r := newReceiver(t)
	n, err := New(&config.Notify{Debounce: time.Minute, Webhooks: []config.Webhook{{URL: r.srv.URL, Format: "json"}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, n)
	defer stop()
	t0 := time.Unix(1_800_000_000, 0)
	n.Send(Event{Kind: ReachLost, Time: t0, Facts: map[string]string{"family": "ipv6"}})
	n.Send(Event{Kind: ReachLost, Time: t0.Add(10 * time.Second), Facts: map[string]string{"family": "ipv6"}}) // debounced
	n.Send(Event{Kind: ReachLost, Time: t0.Add(10 * time.Second), Facts: map[string]string{"family": "ipv4"}}) // another family
	n.Send(Event{Kind: ReachLost, Time: t0.Add(2 * time.Minute), Facts: map[string]string{"family": "ipv6"}})  // after the window
	// A change of state within the window always goes: down, up, down.
	n.Send(Event{Kind: SessionDown, Time: t0})
	n.Send(Event{Kind: SessionUp, Time: t0.Add(time.Second)})
	n.Send(Event{Kind: SessionUp, Time: t0.Add(2 * time.Second)}) // debounced: no change
	n.Send(Event{Kind: SessionDown, Time: t0.Add(3 * time.Second)})
	// Each DNS record fails on its own.
	dns := func(provider, name string, at time.Duration) {
		n.Send(Event{Kind: DNSUpdateFailed, Time: t0.Add(at), Facts: map[string]string{"provider": provider, "name": name}})
	}
	dns("cloudflare", "www.example.jp", 0)
	dns("cloudflare", "www.example.jp", time.Second) // debounced
	dns("cloudflare", "mail.example.jp", 2*time.Second)
	dns("dyndns2", "www.example.jp", 3*time.Second)
	r.wait(t, 9)
	time.Sleep(100 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	var kinds []string
	for _, g := range r.got {
		var p JSONPayload
		json.Unmarshal(g.body, &p)
		kinds = append(kinds, string(p.Event)+"/"+p.Facts["family"]+p.Facts["provider"]+p.Facts["name"])
	}
	want := "reach_lost/ipv6 reach_lost/ipv4 reach_lost/ipv6 session_down/ session_up/ session_down/" +
		" dns_update_failed/cloudflarewww.example.jp dns_update_failed/cloudflaremail.example.jp dns_update_failed/dyndns2www.example.jp"
	if strings.Join(kinds, " ") != want {
		t.Errorf("delivered %v, want %s", kinds, want)
	}
}

func TestEventsFilter(t *testing.T) {
	r := newReceiver(t)
	n, err := New(&config.Notify{Events: []string{"reach_lost"}, Webhooks: []config.Webhook{{URL: r.srv.URL, Format: "json"}}}, config.ReadSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, n)
	n.Send(Event{Kind: SessionUp})
	n.Send(Event{Kind: ReachLost, Facts: map[string]string{"family": "ipv4"}})
	got := r.wait(t, 1)
	time.Sleep(100 * time.Millisecond)
	stop()
	var p JSONPayload
	json.Unmarshal(got[0].body, &p)
	if len(r.got) != 1 || p.Event != ReachLost {
		t.Errorf("got %d, first %s; want only reach_lost", len(r.got), p.Event)
	}
}
