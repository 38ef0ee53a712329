package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/session"
)

// TestPPPoEEdgeValues: every edge value of the pppoe section gets one
// verdict from check-config (what `dualpath run` starts from), from the
// session's constructor and from the `dualpath pppoe` flags.
func TestPPPoEEdgeValues(t *testing.T) {
	dir, pass := passDir(t)
	file := filepath.Join(dir, "dualpath.yaml")
	checkConfig := func(key, yamlValue string) bool {
		y := fmt.Sprintf("interface: eth0\npppoe:\n  username: u\n  password_file: %s\n  %s: %s\nexpose:\n  tcp: [80]\n", pass, key, yamlValue)
		if err := os.WriteFile(file, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := runCheckConfig(context.Background(), cli.IO{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, []string{file})
		return err == nil
	}
	pppoeFlag := func(flag, value string) bool {
		io := cli.IO{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
			if k == config.EnvPPPoEPassword {
				return "hunter2"
			}
			return ""
		}}
		_, _, err := pppoeConfig(io, []string{"--interface", "eth0", "--username", "u", "--state-dir", dir, flag, value})
		return err == nil
	}
	constructor := func(set func(*session.ClientConfig)) bool {
		p := &config.PPPoE{Username: "u"}
		p.ApplyDefaults()
		c, err := session.ClientConfigFrom("eth0", dir, p, []byte("hunter2"))
		if err != nil {
			t.Fatal(err)
		}
		set(&c)
		_, err = session.NewClient(c)
		return err == nil
	}
	type edge struct {
		key, flag, value string
		set              func(*session.ClientConfig)
		ok               bool
	}
	var edges []edge
	for _, v := range []struct {
		n  int
		ok bool
	}{{575, false}, {576, true}, {1454, true}, {1492, true}, {1493, true}, {1500, true}, {1501, false}, {8992, false}, {-1, false}} {
		edges = append(edges, edge{"mtu", "--mtu", strconv.Itoa(v.n), func(c *session.ClientConfig) { c.MTU = v.n }, v.ok})
	}
	for _, v := range []struct {
		s  string
		ok bool
	}{{"dp-ppp0", true}, {"a", true}, {"dualpath-ppp", true}, {"dualpath-ppp0", false}, {"fifteen-chars-x", false},
		{"eth0", false}, {"dp/ppp0", false}, {"dp ppp0", false}, {"dp:0", false}, {"..", false}} {
		edges = append(edges, edge{"tun", "--tun", v.s, func(c *session.ClientConfig) { c.TUN = v.s }, v.ok})
	}
	for _, v := range []struct {
		n  int
		ok bool
	}{{1, true}, {252, true}, {253, false}, {254, false}, {255, false}, {256, true}, {4242, true},
		{2147483647, true}, {2147483648, false}, {-1, false}} {
		edges = append(edges, edge{"table", "--table", strconv.Itoa(v.n), func(c *session.ClientConfig) { c.Table = v.n }, v.ok})
	}
	for _, v := range []struct {
		d  time.Duration
		ok bool
	}{{time.Second, true}, {10 * time.Minute, true}, {10*time.Minute + time.Second, false}, {-time.Second, false}} {
		edges = append(edges, edge{"echo_interval", "--echo-interval", v.d.String(), func(c *session.ClientConfig) { c.EchoInterval = v.d }, v.ok})
	}
	// Below config.MinEchoInterval config and the flags refuse (advice to
	// users) while the session accepts (its tests use 200 ms): what
	// check-config accepts still always starts.
	if checkConfig("echo_interval", "999ms") || pppoeFlag("--echo-interval", "999ms") ||
		!constructor(func(c *session.ClientConfig) { c.EchoInterval = 999 * time.Millisecond }) {
		t.Error("echo_interval 999ms: want refused by check-config and dualpath pppoe, accepted by the session")
	}
	for _, v := range []struct {
		n  int
		ok bool
	}{{1, true}, {3, true}, {100, true}, {101, false}, {-1, false}} {
		edges = append(edges, edge{"echo_failures", "--echo-failures", strconv.Itoa(v.n), func(c *session.ClientConfig) { c.EchoFailures = v.n }, v.ok})
	}
	for _, e := range edges {
		yv := e.value
		if e.key == "tun" {
			yv = strconv.Quote(yv)
		}
		cc := checkConfig(e.key, yv)
		fl := pppoeFlag(e.flag, e.value)
		ctor := constructor(e.set)
		if cc != e.ok || fl != e.ok || ctor != e.ok {
			t.Errorf("%s %q: check-config ok=%v, dualpath pppoe ok=%v, session.NewClient ok=%v; want ok=%v everywhere",
				e.key, e.value, cc, fl, ctor, e.ok)
		}
	}
	// auth has no ClientConfig counterpart to set wrongly (ppp.AuthMethod
	// is typed): the config and flag verdicts agree, and the converter
	// refuses what they refuse.
	for _, v := range []struct {
		s  string
		ok bool
	}{{"auto", true}, {"pap", true}, {"chap", true}, {"mschap", false}, {"PAP", false}} {
		cc := checkConfig("auth", strconv.Quote(v.s))
		fl := pppoeFlag("--auth", v.s)
		_, err := session.ClientConfigFrom("eth0", dir, &config.PPPoE{Username: "u", Auth: v.s}, nil)
		if cc != v.ok || fl != v.ok || (err == nil) != v.ok {
			t.Errorf("auth %q: check-config ok=%v, dualpath pppoe ok=%v, ClientConfigFrom err=%v; want ok=%v", v.s, cc, fl, err, v.ok)
		}
	}
}
