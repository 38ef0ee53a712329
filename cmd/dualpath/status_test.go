package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/daemon"
)

func TestStatusCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status.sock")
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runStatus(context.Background(), cli.IO{Stdout: &out, Stderr: &out}, args)
		return out.String(), err
	}
	_, err := run("--socket", path)
	if cli.Code(err) != cli.ExitNotFound || err.Error() != "dualpath is not running (no socket at "+path+"): start it with systemctl start dualpath" {
		t.Errorf("no daemon: code %d, %v", cli.Code(err), err)
	}
	// --json with no daemon: an object saying so, exit 3 (as lab status).
	out, err := run("--json", "--socket", path)
	var nr map[string]any
	if cli.Code(err) != cli.ExitNotFound || json.Unmarshal([]byte(out), &nr) != nil || nr["running"] != false || nr["socket"] != path {
		t.Errorf("no daemon, --json: code %d, %q", cli.Code(err), out)
	}

	st := daemon.NewState("v1.2.3")
	st.SessionConfigured("enp1s0", "dp-ppp0", 1454)
	st.SessionUp(netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("203.0.113.1"), nil, 1454)
	srv, err := daemon.ListenStatus(path, "", st.Snapshot, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out, err = run("--socket", path)
	if err != nil || !strings.Contains(out, "dualpath v1.2.3") || !strings.Contains(out, "address 203.0.113.7") {
		t.Errorf("text: %v\n%s", err, out)
	}
	out, err = run("--json", "--socket", path)
	var s daemon.Status
	if err != nil || json.Unmarshal([]byte(out), &s) != nil || s.Session.Address != "203.0.113.7" || s.Version != "v1.2.3" {
		t.Errorf("json: %v\n%s", err, out)
	}
	if _, err := run("extra"); cli.Code(err) != 2 {
		t.Errorf("extra argument: %v", err)
	}
}
