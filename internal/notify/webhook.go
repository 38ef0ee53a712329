package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
)

// webhook posts events to one URL in one payload format.
type webhook struct {
	url     string // may be a secret (Discord, Slack): never logged in full
	format  string
	token   string
	secrets []string // scrubbed from every payload
	client  *http.Client
}

func newWebhook(w config.Webhook, readSecret func(string) (string, error)) (*webhook, error) {
	h := &webhook{url: w.URL, format: w.Format,
		client: &http.Client{Timeout: deliverTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if h.format == "" {
		h.format = "json"
	}
	if w.URLFile != "" {
		u, err := readSecret(w.URLFile)
		if err != nil {
			return nil, err
		}
		h.url = strings.TrimSpace(u)
		h.secrets = append(h.secrets, h.url)
		if pu, err := url.Parse(h.url); err == nil && pu.Path != "" {
			h.secrets = append(h.secrets, pu.Path) // Discord/Slack: the path is the secret
		}
	}
	if u, err := url.Parse(h.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the webhook URL is not http:// or https://")
	}
	if w.TokenFile != "" {
		t, err := readSecret(w.TokenFile)
		if err != nil {
			return nil, err
		}
		h.token = t
		h.secrets = append(h.secrets, t)
	}
	return h, nil
}

// Name shows scheme and host only: the rest of a URL may be the secret.
func (h *webhook) Name() string {
	u, err := url.Parse(h.url)
	if err != nil {
		return "webhook"
	}
	return fmt.Sprintf("webhook %s://%s (%s)", u.Scheme, u.Host, h.format)
}

func (h *webhook) scrub(s string) string {
	for _, x := range h.secrets {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "[secret]")
		}
	}
	return s
}

// JSONPayload is the generic format's body.
type JSONPayload struct {
	Event   Kind              `json:"event"`
	Time    time.Time         `json:"time"`
	Host    string            `json:"host"`
	Message string            `json:"message"`
	Facts   map[string]string `json:"facts"`
}

// Payload builds the request body and headers of format for e (exported
// for the tests and `notify --test` output).
func Payload(format string, e Event) (body []byte, contentType string, headers map[string]string) {
	msg := e.Message()
	switch format {
	case "ntfy":
		// ntfy: the message is the body; title, priority and tags are
		// headers (docs.ntfy.sh/publish).
		prio := "default"
		switch e.Kind {
		case ReachLost, SessionDown, DNSUpdateFailed, CertExpiring, TunnelDown:
			prio = "high"
		}
		return []byte(msg), "text/plain; charset=utf-8", map[string]string{
			"Title": "dualpath: " + strings.ReplaceAll(string(e.Kind), "_", " "), "Priority": prio, "Tags": string(e.Kind)}
	case "discord":
		// Discord execute-webhook: {"content": "..."} (at most 2000 characters).
		b, _ := json.Marshal(map[string]string{"content": clip(msg, 2000)})
		return b, "application/json", nil
	case "slack":
		// Slack incoming webhook: {"text": "..."}.
		b, _ := json.Marshal(map[string]string{"text": msg})
		return b, "application/json", nil
	}
	facts := e.Facts
	if facts == nil {
		facts = map[string]string{}
	}
	b, _ := json.Marshal(JSONPayload{Event: e.Kind, Time: e.Time.UTC(), Host: e.Host, Message: msg, Facts: facts})
	return b, "application/json", nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// Deliver posts e; any answer but 2xx is an error.
func (h *webhook) Deliver(ctx context.Context, e Event) error {
	body, ct, hdr := Payload(h.format, e)
	body = []byte(h.scrub(string(body)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s", h.scrub(err.Error()))
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "dualpath-notify")
	for k, v := range hdr {
		req.Header.Set(k, h.scrub(v))
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s", h.scrub(err.Error()))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", h.Name(), resp.Status, h.scrub(strings.TrimSpace(string(snippet))))
	}
	return nil
}
