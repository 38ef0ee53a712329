package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// maxHookOutput is how much of a hook's output is logged.
const maxHookOutput = 4 << 10

// hook runs a command per event: DUALPATH_EVENT, DUALPATH_TIME,
// DUALPATH_HOST, DUALPATH_MESSAGE and one DUALPATH_<FACT> per fact in its
// environment (besides PATH only), killed with its process group after
// the timeout; its output is logged.
type hook struct {
	argv    []string
	timeout time.Duration
	log     *slog.Logger
}

func (h *hook) Name() string { return "hook " + h.argv[0] }

// Env is the environment a hook gets for e.
func Env(e Event) []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DUALPATH_EVENT=" + string(e.Kind),
		"DUALPATH_TIME=" + e.Time.UTC().Format(time.RFC3339),
		"DUALPATH_HOST=" + e.Host,
		"DUALPATH_MESSAGE=" + e.Message(),
	}
	for _, k := range sortedFacts(e.Facts) {
		env = append(env, envName(k)+"="+strings.ReplaceAll(e.Facts[k], "\n", " "))
	}
	return env
}

// limitedBuffer keeps the first maxHookOutput bytes.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxHookOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (h *hook) Deliver(ctx context.Context, e Event) error {
	timeout := h.timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := exec.Command(h.argv[0], h.argv[1:]...)
	c.Env = Env(e)
	var out limitedBuffer
	c.Stdout, c.Stderr = &out, &out
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
		err = fmt.Errorf("killed after %s", timeout)
	}
	if s := strings.TrimSpace(out.String()); s != "" {
		msg.LogInfo(h.log, msg.T("hook output", "フックの出力"), "hook", h.argv[0], "event", e.Kind, "output", s)
	}
	return err
}
