package ddns

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/ddns/providersim"
)

// Namespace tests re-execute this test binary inside a namespace to run a
// piece of the real program there (the updater in the server namespace, the
// fake MyDNS in the "internet" namespace): sockets belong to the namespace
// of the process that opens them.
const helperEnv = "DUALPATH_DDNS_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "mydns-server":
		os.Exit(helperMyDNSServer())
	case "ddns-once":
		os.Exit(helperDDNSOnce())
	case "seen-fakes":
		os.Exit(helperSeenFakes())
	case "ddns-run":
		os.Exit(helperDDNSRun())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperMyDNSServer serves a fake MyDNS (accounts from HELPER_ACCOUNTS
// "id:password,id2:password2") on each address of HELPER_LISTEN (comma separated), plus
// /whoami that answers the client's address. After every request it writes
// the records of the accounts and all requests to HELPER_OUT as JSON.
func helperMyDNSServer() int {
	accounts := map[string]string{}
	for _, acc := range strings.Split(os.Getenv("HELPER_ACCOUNTS"), ",") {
		id, pw, _ := strings.Cut(acc, ":")
		accounts[id] = pw
	}
	out := os.Getenv("HELPER_OUT")
	sim := providersim.NewMyDNS(accounts)
	var mu sync.Mutex
	dump := func() {
		mu.Lock()
		defer mu.Unlock()
		st := helperState{Records: map[string]providersim.MyDNSRecord{}, Requests: sim.Requests()}
		for id := range accounts {
			st.Records[id] = sim.Record(id)
		}
		b, _ := json.Marshal(st)
		_ = os.WriteFile(out+".tmp", b, 0o600)
		_ = os.Rename(out+".tmp", out)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, providersim.Source(r))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { sim.ServeHTTP(w, r); dump() })
	for _, addr := range strings.Split(os.Getenv("HELPER_LISTEN"), ",") {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go func() { _ = http.Serve(l, mux) }()
	}
	dump()
	select {}
}

type helperState struct {
	Records  map[string]providersim.MyDNSRecord
	Requests []providersim.Request
}

// helperDDNSOnce loads HELPER_CONFIG and runs one updater pass in the
// current namespace; logs go to stderr, the status as JSON to stdout.
func helperDDNSOnce() int {
	cfg, err := config.Load(os.Getenv("HELPER_CONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// HELPER_DRYRUN=1: a dry run, its lines on stdout instead of the status.
	dry := os.Getenv("HELPER_DRYRUN") != ""
	u, err := New(cfg, Options{Logger: log, StateDir: "-", DryRun: dry, Out: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = u.RunOnce(ctx)
	if !dry {
		_ = json.NewEncoder(os.Stdout).Encode(u.Status())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
