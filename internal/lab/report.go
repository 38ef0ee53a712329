package lab

import (
	"github.com/dualpath/dualpath/internal/msg"

	"fmt"
	"io"
	"strings"

	"github.com/dualpath/dualpath/internal/termtext"
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

	name msg.Text // Check in both languages, for the text report

	expected, seen msg.Text // Expected and Seen in both languages, when the check wrote them so
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

// Print writes the report for a terminal of Width columns, in Japanese when
// lang asks for it (see Japanese; the JSON form is always English): for each
// check one line "N outcome name", then, indented under the name, what was
// expected and what was seen, wrapped with a hanging indent; then a summary.
//
//	1 ok   PC's IPv4 leaves by MAP-E
//	       expected: 198.51.100.5, a port of PSID 0x12 (240)
//	       seen:     198.51.100.5:4386 (in set)
func (r *Report) Print(w io.Writer, lang msg.Lang) {
	labels := [2]string{msg.T("expected: ", "期待: ").In(lang), msg.T("seen:     ", "結果: ").In(lang)}
	const indent = "        "
	for _, x := range r.Results {
		name := x.Check
		if !x.name.IsZero() {
			name = x.name.In(lang)
		}
		msg.Hanging(w, fmt.Sprintf("%2d %-4s ", x.ID, x.Outcome), indent, name)
		if x.Outcome == NotHere && x.Expected == "" && x.Seen == "" {
			why := msg.T("does not apply to scenario %s", "シナリオ %s には当てはまらない", r.Scenario).In(lang)
			msg.Hanging(w, indent, indent, why)
			continue
		}
		for i, v := range []string{x.Expected, x.Seen} {
			if t := [2]msg.Text{x.expected, x.seen}[i]; !t.IsZero() {
				v = t.In(lang)
			}
			msg.Hanging(w, indent+labels[i], indent+strings.Repeat(" ", termtext.DisplayWidth(labels[0])), orDash(v))
		}
	}
	msg.Printer{W: w, Lang: lang}.Printf("%d ok, %d failed, %d not applicable (scenario %s)",
		"成功 %d、失敗 %d、対象外 %d（シナリオ %s）",
		r.Count(Pass), r.Count(Fail), r.Count(NotHere), r.Scenario)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
