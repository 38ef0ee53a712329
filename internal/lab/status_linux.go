package lab

import (
	"github.com/dualpath/dualpath/internal/msg"

	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Status prints what runs: scenario, nodes, processes and their logs.
func (l *Lab) Status(w io.Writer) error {
	st, err := l.Load()
	if err != nil {
		if left := l.Leftovers(); len(left) > 0 {
			fmt.Fprintf(w, "lab %s: no state, but leftovers exist: %s\nrun 'dualpath lab down' to remove them\n", l.Prefix, strings.Join(left, "; "))
			return nil
		}
		return err
	}
	ready := "ready"
	if !st.Ready {
		ready = "NOT ready (up did not finish: run 'dualpath lab up' again)"
	}
	msg.Fit(w, fmt.Sprintf("lab %s: scenario %s, %s, since %s", l.Prefix, st.Scenario, ready, st.Started.Format("15:04:05 UTC")))
	fmt.Fprintf(w, "state dir %s\n", st.Dir)
	fmt.Fprintln(w, "nodes:")
	for _, n := range Nodes(st.Scenario) {
		state := "missing"
		if nsExists(l.NS(n)) {
			state = "up"
		}
		fmt.Fprintf(w, "  %-8s namespace %-16s %s\n", n, l.NS(n), state)
	}
	fmt.Fprintln(w, "processes (logs relative to the state dir):")
	for _, p := range st.Procs {
		state := "running"
		if !p.ours() {
			state = "EXITED"
		}
		log := p.Log
		if rel, err := filepath.Rel(st.Dir, p.Log); err == nil && !strings.HasPrefix(rel, "..") {
			log = rel
		}
		msg.Fit(w, fmt.Sprintf("  %-8s %-12s pid %-7d %-8s %s", p.Node, p.Name, p.PID, state, log))
	}
	return nil
}
