package lab

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/dualpath/dualpath/internal/lab/vantage"
)

// NodeCommands are the programs `dualpath lab-node NAME` runs inside the
// lab's namespaces. Each takes its own flags and prints JSON where a check
// reads the result.
var NodeCommands = map[string]func(ctx context.Context, out io.Writer, args []string) error{
	"whoami": nodeWhoami,
	"dial":   nodeDial,
	"fetch":  nodeFetch,
	"scan":   nodeScan,
}

// RunNode runs one node command.
func RunNode(ctx context.Context, out io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New("lab-node: which node program?")
	}
	f, ok := NodeCommands[args[0]]
	if !ok {
		return fmt.Errorf("lab-node: unknown program %q", args[0])
	}
	return f(ctx, out, args[1:])
}

func nodeWhoami(ctx context.Context, out io.Writer, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: lab-node whoami LISTEN-ADDR")
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	return vantage.Whoami(ctx, ln)
}

func nodeDial(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 2*time.Second, "connect and read timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: lab-node dial [--timeout D] ADDR:PORT")
	}
	s, err := vantage.Dial(ctx, fs.Arg(0), *timeout)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(s)
}

func nodeFetch(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	dns := fs.String("dns", "", "DNS server host:port to resolve with")
	family := fs.String("family", "", "4 or 6")
	timeout := fs.Duration("timeout", 3*time.Second, "timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: lab-node fetch [--dns HOST:PORT] [--family 4|6] URL")
	}
	f, err := vantage.Fetch(ctx, fs.Arg(0), *dns, *family, *timeout)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(f)
}

func nodeScan(ctx context.Context, out io.Writer, args []string) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	ports := fs.String("ports", "1-1024", "ports to try, e.g. 1-1024,8022")
	timeout := fs.Duration("timeout", 700*time.Millisecond, "per-port connect timeout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: lab-node scan [--ports LIST] ADDR")
	}
	a, err := netip.ParseAddr(fs.Arg(0))
	if err != nil {
		return err
	}
	ps, err := vantage.ParsePorts(*ports)
	if err != nil {
		return err
	}
	open := vantage.Scan(ctx, a, ps, *timeout)
	if open == nil {
		open = []uint16{}
	}
	return json.NewEncoder(out).Encode(map[string][]uint16{"open": open})
}
