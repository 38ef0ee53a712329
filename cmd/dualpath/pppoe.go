package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/session"
	"github.com/dualpath/dualpath/ppp"
)

func init() {
	cli.Register(&cli.Command{
		Name: "pppoe",
		Usage: "pppoe --interface IF --username U --password-file F [--service S] [--ac-name N] [--auth auto|pap|chap] " +
			"[--mtu 1454] [--tun dp-ppp0] [--table 4242] [--echo-interval 10s] [--echo-failures 3] [--state-dir DIR] " +
			"[--macvlan] [--default-route] [--ipv6cp] [--events json]",
		Summary: msg.T("hold one PPPoE session in the foreground (userspace, over a TUN device)",
			"PPPoE セッションを1つ、フォアグラウンドで張る（ユーザー空間、TUN デバイス経由）"),
		Run: runPPPoE,
	})
}

// passwordEnv is the environment variable that may carry the PPPoE password.
const passwordEnv = config.EnvPPPoEPassword

func runPPPoE(ctx context.Context, stdio cli.IO, args []string) error {
	fs := flag.NewFlagSet("pppoe", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are one line (below); -h prints the flags
	var (
		cfg          session.ClientConfig
		passwordFile string
		auth         string
		events       string
	)
	fs.StringVar(&cfg.Interface, "interface", "", "LAN interface that reaches the access concentrator")
	fs.StringVar(&cfg.Username, "username", "", "PPPoE user name")
	fs.StringVar(&passwordFile, "password-file", "", "file holding the password (mode 0600); or set "+passwordEnv)
	fs.StringVar(&cfg.ServiceName, "service", "", "Service-Name to ask for (default: any)")
	fs.StringVar(&cfg.ACName, "ac-name", "", "accept only this access concentrator (AC-Name)")
	fs.StringVar(&auth, "auth", "auto", "authentication: auto, pap or chap")
	fs.IntVar(&cfg.MTU, "mtu", 1454, "MTU/MRU of the session (above 1492 needs RFC 4638 support at the AC)")
	fs.StringVar(&cfg.TUN, "tun", "dp-ppp0", "name of the TUN device")
	fs.IntVar(&cfg.Table, "table", 4242, "policy routing table for replies from the session address")
	fs.DurationVar(&cfg.EchoInterval, "echo-interval", 10*time.Second, "LCP echo interval")
	fs.IntVar(&cfg.EchoFailures, "echo-failures", 3, "echo intervals without any frame before the link counts as lost")
	fs.StringVar(&cfg.StateDir, "state-dir", "/var/lib/dualpath", "directory for the host-change journal and the last session")
	fs.BoolVar(&cfg.Macvlan, "macvlan", false, "run the session on a macvlan with its own MAC address")
	fs.BoolVar(&cfg.DefaultRoute, "default-route", false, "also route all IPv4 through the session (main table)")
	fs.BoolVar(&cfg.IPv6CP, "ipv6cp", false, "negotiate IPv6CP (RFC 5072) too")
	fs.StringVar(&events, "events", "", "print events as JSON lines (json)")
	if err := cli.Parse(stdio, fs, args); err != nil {
		if !cli.IsHelp(err) && strings.Contains(err.Error(), "not defined: -password\n") {
			return cli.Usagef("pppoe: the password never goes on the command line (others can read it): use --password-file FILE (mode 0600) or DUALPATH_PPPOE_PASSWORD")
		}
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("pppoe takes no arguments (got %q)", fs.Arg(0))
	}
	switch {
	case cfg.Interface == "":
		return cli.Usagef("--interface is required: the LAN interface that reaches the router (e.g. --interface enp1s0)")
	case cfg.Username == "":
		return cli.Usagef("--username is required: the PPPoE user name from your ISP")
	case events != "" && events != "json":
		return cli.Usagef("--events: only \"json\" is supported (got %q)", events)
	case cfg.MTU < 576 || cfg.MTU > 8992:
		return cli.Usagef("--mtu %d out of range (576-8992; NTT FLET'S uses 1454)", cfg.MTU)
	case cfg.EchoFailures < 1:
		return cli.Usagef("--echo-failures must be at least 1")
	case cfg.EchoInterval < 0:
		return cli.Usagef("--echo-interval must not be negative")
	case len(cfg.TUN) > 12:
		return cli.Usagef("--tun %q: at most 12 characters", cfg.TUN)
	case cfg.Table <= 0 || cfg.Table == 253 || cfg.Table == 254 || cfg.Table == 255:
		return cli.Usagef("--table %d: choose a free table number (not 253-255)", cfg.Table)
	}
	method, err := ppp.ParseAuthMethod(auth)
	if err != nil || (auth != "auto" && auth != "pap" && auth != "chap") {
		return cli.Usagef("--auth %q: use auto, pap or chap", auth)
	}
	cfg.Auth = method
	pw, err := readPassword(passwordFile, stdio.Getenv)
	if err != nil {
		return err
	}
	cfg.Password = pw
	if _, err := net.InterfaceByName(cfg.Interface); err != nil {
		return cli.NotFoundf("%v", hostnet.InterfaceNotFound(cfg.Interface))
	}
	if err := checkPrivileges(); err != nil {
		return err
	}
	enc := json.NewEncoder(stdio.Stdout)
	cfg.OnEvent = func(e session.Event) {
		if events == "json" {
			_ = enc.Encode(e)
			return
		}
		printEvent(stdio.Stdout, e)
	}
	c, err := session.NewClient(cfg)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := c.Run(ctx); err != nil {
		if errors.Is(err, hostnet.ErrInterfaceNotFound) {
			return cli.NotFoundf("%v", err)
		}
		return cli.Failf("%v", err)
	}
	return nil
}

// readPassword takes the password the way the daemon does (config.PPPoE.Password):
// the environment variable wins, else the file, which must be a regular file
// that group and others cannot read.
func readPassword(file string, getenv func(string) string) ([]byte, error) {
	if file == "" && (getenv == nil || getenv(passwordEnv) == "") {
		return nil, cli.Usagef("no password: give --password-file FILE (mode 0600) or set %s", passwordEnv)
	}
	pw, err := (&config.PPPoE{PasswordFile: file}).Password(getenv)
	if err != nil {
		return nil, cli.Usagef("password file: %v", err)
	}
	return []byte(pw), nil
}

// checkPrivileges fails early, naming the capabilities, when the process
// can neither open raw sockets nor change the network configuration.
func checkPrivileges() error {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil // not Linux or no /proc: let the operations report
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return nil
			}
			const netAdmin, netRaw = 1 << 12, 1 << 13
			if caps&netAdmin == 0 || caps&netRaw == 0 {
				return cli.Failf("dualpath pppoe needs CAP_NET_ADMIN and CAP_NET_RAW: run it as root, or grant them (systemd AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW)")
			}
		}
	}
	return nil
}

func printEvent(w io.Writer, e session.Event) {
	var s string
	switch e.Kind {
	case session.KindUp:
		s = fmt.Sprintf("up: address %s peer %s dns %s mtu %d", e.Address, e.Peer, strings.Join(e.DNS, ","), e.MTU)
	case session.KindIPv6Up:
		s = fmt.Sprintf("IPv6 up: %s peer %s", e.Address, e.Peer)
	case session.KindSession:
		s = fmt.Sprintf("session %#04x with %s (%s)", e.SessionID, e.ACName, e.ACMAC)
	case session.KindAuth:
		s = fmt.Sprintf("auth %s: %s %s", e.Method, e.State, e.Reason)
	case session.KindDown:
		s = fmt.Sprintf("down: %s; retrying in %s", e.Reason, e.RetryIn)
	default:
		s = strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.Kind, e.State, e.ACName, e.Reason))
	}
	fmt.Fprintf(w, "%s pppoe: %s\n", e.Time.Format("15:04:05"), strings.TrimSpace(s))
}
