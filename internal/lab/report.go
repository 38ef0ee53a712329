package lab

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Outcome of one check.
type Outcome string

// Outcomes.
const (
	Pass    Outcome = "ok"
	Fail    Outcome = "FAIL"
	NotHere Outcome = "n/a" // does not apply to the scenario
)

// Result is one row of `lab test`.
type Result struct {
	ID       int     `json:"id"`
	Check    string  `json:"check"`
	Expected string  `json:"expected"`
	Seen     string  `json:"seen"`
	Outcome  Outcome `json:"outcome"`
}

// Report is the whole table.
type Report struct {
	Scenario string   `json:"scenario"`
	Results  []Result `json:"results"`
}

// Passed reports whether every check that applies to the scenario held.
func (r *Report) Passed() bool {
	for _, x := range r.Results {
		if x.Outcome != Pass && x.Outcome != NotHere {
			return false
		}
	}
	return true
}

// Count returns how many results have outcome o.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, x := range r.Results {
		if x.Outcome == o {
			n++
		}
	}
	return n
}

// Print writes the table.
func (r *Report) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tcheck\texpected\tseen\tok")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", x.ID, x.Check, oneLine(x.Expected), oneLine(x.Seen), x.Outcome)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d ok, %d failed, %d not applicable (scenario %s)\n",
		r.Count(Pass), r.Count(Fail), r.Count(NotHere), r.Scenario)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 70 {
		s = s[:67] + "..."
	}
	if s == "" {
		s = "-"
	}
	return s
}
