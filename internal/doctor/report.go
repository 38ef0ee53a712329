package doctor

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/termtext"
)

// SchemaVersion is the "version" field of the JSON report.
const SchemaVersion = 1

// JSONReport is the --json output; see doc.go for the schema.
type JSONReport struct {
	Version int         `json:"version"`
	Lang    string      `json:"lang"`
	Checks  []JSONCheck `json:"checks"`
}

// JSONCheck is one check in the JSON report.
type JSONCheck struct {
	ID      string         `json:"id"`
	Group   Group          `json:"group"`
	Status  Status         `json:"status"`
	Summary string         `json:"summary"`
	Fix     string         `json:"fix"`
	Details map[string]any `json:"details"`
}

// WriteJSON writes the outcomes as the version 1 JSON report.
func WriteJSON(w io.Writer, outs []Outcome, lang msg.Lang) error {
	r := JSONReport{Version: SchemaVersion, Lang: lang.String(), Checks: []JSONCheck{}}
	for _, o := range outs {
		d := o.Details
		if d == nil {
			d = map[string]any{}
		}
		r.Checks = append(r.Checks, JSONCheck{ID: o.ID, Group: o.Group, Status: o.Status,
			Summary: o.Summary.In(lang), Fix: o.Fix.In(lang), Details: d})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Width is the terminal width the text report fits.
const Width = msg.Width

var groupTitles = map[Group]Text{
	GroupLine: {EN: "Line (fibre, ISP)", JA: "回線（光回線・プロバイダ）"},
	GroupLAN:  {EN: "LAN (routers, DHCP)", JA: "LAN（ルータ・DHCP）"},
	GroupHost: {EN: "This host", JA: "このサーバ"},
}

var statusLabels = map[Status]string{OK: "[ ok ]", Skip: "[skip]", Warn: "[warn]", Fail: "[FAIL]"}

// WriteText writes the human report, grouped (line, LAN, host), every line at
// most Width columns (East Asian wide characters count two).
func WriteText(w io.Writer, outs []Outcome, lang msg.Lang) error {
	var b strings.Builder
	count := map[Status]int{}
	for _, o := range outs {
		count[o.Status]++
	}
	head := T("dualpath doctor: %d checks, %d fail, %d warn, %d ok, %d skipped",
		"dualpath doctor: %d 項目（失敗 %d、注意 %d、正常 %d、省略 %d）",
		len(outs), count[Fail], count[Warn], count[OK], count[Skip])
	writeWrapped(&b, "", "", head.In(lang))
	fixLabel := T("fix: ", "対処: ").In(lang)
	for _, g := range []Group{GroupLine, GroupLAN, GroupHost} {
		first := true
		for _, o := range outs {
			if o.Group != g {
				continue
			}
			if first {
				b.WriteString("\n")
				writeWrapped(&b, "", "", groupTitles[g].In(lang))
				first = false
			}
			label := statusLabels[o.Status] + " "
			indent := strings.Repeat(" ", len(label))
			writeWrapped(&b, label, indent, o.ID+": "+o.Summary.In(lang))
			if fix := o.Fix.In(lang); fix != "" {
				writeWrapped(&b, indent+fixLabel, indent+strings.Repeat(" ", termtext.DisplayWidth(fixLabel)), fix)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeWrapped(b *strings.Builder, first, rest, text string) {
	for i, line := range termtext.Wrap(text, Width-termtext.DisplayWidth(first), Width-termtext.DisplayWidth(rest)) {
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(rest)
		}
		b.WriteString(line)
		b.WriteString("\n")
	}
}
