package doctor

import (
	"context"
	"fmt"
	"sync"

	"github.com/dualpath/dualpath/internal/msg"
)

// Status is the outcome of one check.
type Status int

// Check outcomes, from best to worst; Skip means the check could not apply
// (no config, not root, daemon not running).
const (
	OK Status = iota
	Skip
	Warn
	Fail
)

// String is the status as it appears in JSON: "ok", "skip", "warn", "fail".
func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Skip:
		return "skip"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText makes Status a JSON string.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a status written by MarshalText.
func (s *Status) UnmarshalText(b []byte) error {
	for _, v := range []Status{OK, Skip, Warn, Fail} {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("doctor: unknown status %q", b)
}

// Group is where a check looks: the line, the LAN, or this host.
type Group string

// Groups, in the order the report lists them.
const (
	GroupLine Group = "line"
	GroupLAN  Group = "lan"
	GroupHost Group = "host"
)

// Text is one message in both languages: the catalogue's (internal/msg).
type Text = msg.Text

// T is msg.T: English and Japanese side by side, formatted with the same
// arguments. Every check writes its summary and fix with it.
func T(en, ja string, args ...any) Text { return msg.T(en, ja, args...) }

// Result is what one check found: a status, one line saying what, one line
// saying what to do (empty when there is nothing to do), and machine-readable
// details for --json.
type Result struct {
	Status  Status
	Summary Text
	Fix     Text
	Details map[string]any
}

// Check is one unit of diagnosis. Implementations must honour ctx (its
// deadline bounds probes) and never change the host.
type Check interface {
	ID() string // stable, dotted: "lan.dhcp", "host.listen.tcp80"
	Group() Group
	Run(ctx context.Context) Result
}

// Func adapts a function to Check.
type Func struct {
	Name  string
	In    Group
	RunFn func(ctx context.Context) Result
}

// ID implements Check.
func (f Func) ID() string { return f.Name }

// Group implements Check.
func (f Func) Group() Group { return f.In }

// Run implements Check.
func (f Func) Run(ctx context.Context) Result { return f.RunFn(ctx) }

// Outcome is one check's ID, group and result, as reported.
type Outcome struct {
	ID    string
	Group Group
	Result
}

// RunAll runs every check concurrently (probes wait for answers, so running
// them side by side keeps doctor at a few seconds) and returns the outcomes
// in the checks' order. A check that panics is reported as a failure of that
// check, not of doctor.
func RunAll(ctx context.Context, checks []Check) []Outcome {
	out := make([]Outcome, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					out[i] = Outcome{ID: c.ID(), Group: c.Group(), Result: Result{Status: Fail,
						Summary: T("internal error in this check: %v", "このチェックの内部エラー: %v", r),
						Fix:     T("report this as a bug", "不具合として報告してください")}}
				}
			}()
			out[i] = Outcome{ID: c.ID(), Group: c.Group(), Result: c.Run(ctx)}
		}()
	}
	wg.Wait()
	return out
}

// Failed reports whether any outcome is a failure (doctor exits 1).
func Failed(outs []Outcome) bool {
	for _, o := range outs {
		if o.Status == Fail {
			return true
		}
	}
	return false
}
