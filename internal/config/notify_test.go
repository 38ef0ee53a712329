package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNotifySection(t *testing.T) {
	s := writeSecrets(t)
	url := filepath.Join(t.TempDir(), "discord.url")
	if err := os.WriteFile(url, []byte("https://discord.com/api/webhooks/1/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	section := `notify:
  webhooks:
    - url: https://ntfy.sh/my-topic
      format: ntfy
    - url_file: URLFILE
      format: discord
  hooks:
    - command: [/usr/local/bin/on-event, --quiet]
  events: [reach_lost, reach_regained]
`
	parse := func(sec string) error {
		c, err := Parse("dualpath.yaml", []byte(s.fill(good)+strings.ReplaceAll(sec, "URLFILE", url)))
		if err != nil {
			return err
		}
		if err := validateEnv(c, nil); err != nil {
			return err
		}
		if n := c.Notify; n.Debounce != DefaultNotifyDebounce || n.Hooks[0].Timeout != DefaultHookTimeout || n.Webhooks[0].Format != "ntfy" {
			t.Errorf("defaults not applied: %+v", n)
		}
		return nil
	}
	if err := parse(section); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, new, want string }{
		{"format: ntfy", "format: teams", `notify.webhooks[0].format: "teams" is not a format`},
		{"- url: https://ntfy.sh/my-topic", "- url: https://user:pw@ntfy.sh/my-topic", "notify.webhooks[0].url: the URL carries a secret"},
		{"[/usr/local/bin/on-event, --quiet]", "[on-event]", `notify.hooks[0].command: "on-event" is not an absolute path`},
		{"[reach_lost, reach_regained]", "[reach_lots]", `notify.events[0]: "reach_lots" is not an event`},
		{"    - url_file: URLFILE\n", "    - url_file: /nonexistent/discord.url\n", "notify.webhooks[1].url_file: /nonexistent/discord.url does not exist"},
		{"  events: [reach_lost, reach_regained]\n", "  debounce: 48h\n", "notify.debounce: 48h0m0s is out of range"},
	} {
		err := parse(strings.Replace(section, c.old, c.new, 1))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "dualpath.yaml:") {
			t.Errorf("%q -> %q: got %v, want FILE:LINE:COL ... %q", c.old, c.new, err, c.want)
		}
	}
	_ = time.Second
}
