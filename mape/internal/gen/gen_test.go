package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed table is what the generator makes from the committed data:
// after changing data/ or main.go, run `go generate ./mape`.
func TestGeneratedTableUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "builtin_table.go")
	os.Args = []string{"gen", "-data", "data", "-out", out}
	main()
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../builtin_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("mape/builtin_table.go is stale: run go generate ./mape")
	}
}
