package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/daemon"
	"github.com/dualpath/dualpath/internal/doctor"
	"github.com/dualpath/dualpath/internal/lab"
	"github.com/dualpath/dualpath/internal/reach"
	"github.com/dualpath/dualpath/internal/session"
)

// jsonKeys lists the JSON field names of t and of the structs inside it.
func jsonKeys(t reflect.Type, seen map[reflect.Type]bool, out map[string]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] || t == reflect.TypeOf(time.Time{}) || t.PkgPath() == "net/netip" {
		return
	}
	seen[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "-" || !f.IsExported() {
			continue
		}
		if name != "" {
			out[name] = true
		}
		jsonKeys(f.Type, seen, out)
	}
}

// docs/json.md (shipped as /usr/share/doc/dualpath/json.md, where the
// --json flags point) names every field of every JSON output.
func TestJSONDocNamesEveryField(t *testing.T) {
	b, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{daemon.Status{}, doctor.JSONReport{}, reach.JSONReport{}, mapeJSON{}, lab.Report{}, session.EventJSON{}} {
		keys := map[string]bool{}
		jsonKeys(reflect.TypeOf(v), map[reflect.Type]bool{}, keys)
		for k := range keys {
			if !strings.Contains(string(b), `"`+k+`"`) {
				t.Errorf("docs/json.md does not name %q of %T", k, v)
			}
		}
	}
}
