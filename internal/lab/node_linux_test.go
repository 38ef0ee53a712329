package lab

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
	"github.com/dualpath/dualpath/internal/netnstest"
)

// TestMain lets the test binary be the lab's node program (`dualpath
// lab-node ...`, as cmd/dualpath runs RunNode) for the checks below.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "lab-node" {
		if err := RunNode(context.Background(), os.Stdout, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "dualpath: lab-node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMAPEChecksSayKernelErrorsInJapanese: the MAP-E checks run the real
// node program in a namespace; the kernel refuses the dial (no route to
// the shared address, nobody listening on whoami) and the check's line
// says why in Japanese, from the error's code carried back from the node
// program, with no English words.
func TestMAPEChecksSayKernelErrorsInJapanese(t *testing.T) {
	ns := netnstest.New(t, NodeInet4)
	if !strings.HasSuffix(ns.Name, NodeInet4) {
		t.Fatalf("namespace %q does not end with %q", ns.Name, NodeInet4)
	}
	ns.MustRun("ip", "link", "set", "lo", "up")
	ns.MustRun("ip", "addr", "add", Inet4Addr.String(), "dev", "lo")
	ns.MustRun("ip", "route", "add", "unreachable", RouterLine().IPv4.String()+"/32")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{Prefix: strings.TrimSuffix(ns.Name, NodeInet4), bin: self}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	exp, got, ok := checkSharedPort80(ctx, l)
	if !ok || got.EN != "refused: no route to host" || got.JA != "拒否: 相手までの経路がありません" {
		t.Errorf("shared port 80: ok %v, got %+v", ok, got)
	}
	var out strings.Builder
	for _, tx := range []msg.Text{exp, got} {
		out.WriteString(tx.JA + "\n")
	}
	exp, got, ok = l.seenFromMAPE(ctx, NodeInet4)
	if ok || got.EN != "connection refused" || got.JA != "接続を拒否されました" {
		t.Errorf("seen from MAP-E with nothing listening: ok %v, got %+v", ok, got)
	}
	out.WriteString(exp.JA + "\n" + got.JA + "\n")
	msgtest.Japanese(t, out.String())
	t.Logf("Japanese:\n%s", out.String())
}
