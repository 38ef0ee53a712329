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
	"slices"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/lab/vantage"
	"github.com/dualpath/dualpath/internal/msg"
)

// NodeCommands are the programs `dualpath lab-node NAME` runs inside the
// lab's namespaces. Each takes its own flags and prints JSON where a check
// reads the result.
var NodeCommands = map[string]func(ctx context.Context, out io.Writer, args []string) error{
	"whoami": nodeWhoami,
	"dial":   nodeDial,
	"fetch":  nodeFetch,
	"scan":   nodeScan,
	// udp-echo is the server's UDP decoy (vantage.UDPEcho).
	"udp-echo": nodeUDPEcho,
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
	err := f(ctx, out, args[1:])
	if err != nil {
		b, _ := json.Marshal(nodeFailure{Error: err.Error(), Code: msg.CodeOf(err)})
		fmt.Fprintf(out, "%s\n", b)
	}
	return err
}

// nodeFailure is the last line a node program prints when it fails: its
// error in English and the error's code, so that the check reading it
// says it in the reader's language.
type nodeFailure struct {
	Error string `json:"node_error"`
	Code  string `json:"code,omitempty"`
}

// NodeError is a node program's failure as the lab reads it back.
type NodeError struct {
	Msg  string // "[inet4] dial: dial tcp 192.0.2.3:80: connect: no route to host"
	Code string // msg.CodeOf of the program's error
}

func (e *NodeError) Error() string { return e.Msg }

// ErrorCode is the code of the program's error (msg.Coder).
func (e *NodeError) ErrorCode() string { return e.Code }

// nodeError is a node program's failure from its output: a *NodeError
// when it printed its nodeFailure line, else err as it is.
func nodeError(node, program, out string, err error) error {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var f nodeFailure
		if json.Unmarshal([]byte(lines[i]), &f) == nil && f.Error != "" {
			return &NodeError{Msg: fmt.Sprintf("[%s] %s: %s", node, program, f.Error), Code: f.Code}
		}
	}
	return err
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

func nodeUDPEcho(ctx context.Context, out io.Writer, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: lab-node udp-echo LISTEN-ADDR")
	}
	a, err := net.ResolveUDPAddr("udp", args[0])
	if err != nil {
		return err
	}
	pc, err := net.ListenUDP("udp", a)
	if err != nil {
		return err
	}
	return vantage.UDPEcho(ctx, pc)
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
	ports := fs.String("ports", "1-1024", "TCP ports to try, e.g. 1-1024,8022 (empty: none)")
	udp := fs.String("udp", "", "UDP ports to probe, e.g. 1-1024,8022 (empty: none)")
	timeout := fs.Duration("timeout", 700*time.Millisecond, "per-port connect (TCP) or answer (UDP) timeout")
	expect := fs.String("expect", "", "TCP ports expected open: each one the scan missed is tried again (see confirmOpen)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: lab-node scan [--ports LIST] [--udp LIST] [--expect LIST] ADDR")
	}
	a, err := netip.ParseAddr(fs.Arg(0))
	if err != nil {
		return err
	}
	spec, err := parseScan(*ports, *udp)
	if err != nil {
		return err
	}
	want, err := parseScan(*expect, "")
	if err != nil {
		return err
	}
	res := spec.run(ctx, a, *timeout)
	res.Open = confirmOpen(ctx, a, res.Open, want.tcp)
	return json.NewEncoder(out).Encode(res)
}

// confirmOpen tries each port of want that is not in open again, up to 3
// times with a 3 s timeout, and adds those that accept. A scan's short
// timeout can expire on a loaded machine before the scanner sees a
// connection that did complete; a second look makes "the exposed port
// answers" robust, and a port is still reported open only after a
// connection to it, so a closed one stays closed.
func confirmOpen(ctx context.Context, a netip.Addr, open, want []uint16) []uint16 {
	var missed []uint16
	for _, p := range want {
		if !slices.Contains(open, p) {
			missed = append(missed, p)
		}
	}
	for try := 0; try < 3 && len(missed) > 0 && ctx.Err() == nil; try++ {
		found := vantage.Scan(ctx, a, missed, 3*time.Second)
		open = append(open, found...)
		missed = slices.DeleteFunc(missed, func(p uint16) bool { return slices.Contains(found, p) })
	}
	slices.Sort(open)
	return open
}

// scanResult is what `lab-node scan` prints: the TCP ports that accepted
// and the UDP ports that answered.
type scanResult struct {
	Open    []uint16 `json:"open"`
	OpenUDP []uint16 `json:"open_udp"`
}

// scanSpec is which ports a scan tries, over TCP and over UDP.
type scanSpec struct{ tcp, udp []uint16 }

// parseScan reads two port lists (vantage.ParsePorts; empty: none).
func parseScan(tcp, udp string) (scanSpec, error) {
	var s scanSpec
	for _, x := range []struct {
		list string
		to   *[]uint16
	}{{tcp, &s.tcp}, {udp, &s.udp}} {
		if x.list == "" {
			continue
		}
		ps, err := vantage.ParsePorts(x.list)
		if err != nil {
			return scanSpec{}, err
		}
		*x.to = ps
	}
	return s, nil
}

// run scans a over TCP and UDP side by side.
func (s scanSpec) run(ctx context.Context, a netip.Addr, timeout time.Duration) scanResult {
	res := scanResult{Open: []uint16{}, OpenUDP: []uint16{}}
	done := make(chan []uint16)
	go func() { done <- vantage.ScanUDP(ctx, a, s.udp, timeout) }()
	if o := vantage.Scan(ctx, a, s.tcp, timeout); o != nil {
		res.Open = o
	}
	if o := <-done; o != nil {
		res.OpenUDP = o
	}
	return res
}
