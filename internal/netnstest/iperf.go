package netnstest

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"
)

// Iperf3 measures TCP throughput with iperf3 between two namespaces and
// returns the receiver's rate in Mbit/s. It starts a one-shot server in
// server bound to addr, then runs the client in client for secs seconds
// (retrying for up to 5 s while the server starts, since a refused
// connection is also reported with exit status 0); reverse makes the server
// send (iperf3 -R). clientArgs are added to the client's command line, e.g.
// "-B", "192.0.2.7" to pick the source address. It is for benchmarks that
// print a figure next to a same-run baseline, never for asserting speed.
func Iperf3(t testing.TB, server, client *NS, addr string, secs int, reverse bool, clientArgs ...string) (mbps float64) {
	t.Helper()
	RequireCommand(t, "iperf3")
	s := server.Start("iperf3", "-s", "-1", "-B", addr)
	defer s.Kill()
	args := append([]string{"-c", addr, "-t", strconv.Itoa(secs), "-J"}, clientArgs...)
	if reverse {
		args = append(args, "-R")
	}
	var r struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	var out string
	var err error
	// iperf3 -J reports "unable to connect" (server not listening yet) in
	// its JSON and exits 0, so an "error" field counts as a failed attempt.
	if !WaitFor(5*time.Second, func() bool {
		out, err = client.Run("iperf3", args...)
		if err != nil {
			return false
		}
		r.Error = ""
		if err = json.Unmarshal([]byte(out), &r); err == nil && r.Error != "" {
			err = errors.New(r.Error)
		}
		return err == nil
	}) {
		t.Fatalf("iperf3: %v\n%s", err, out)
	}
	return r.End.SumReceived.BitsPerSecond / 1e6
}
