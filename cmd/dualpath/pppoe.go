package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/session"
)

func init() {
	cli.Register(&cli.Command{
		Name: "pppoe",
		Usage: "pppoe --interface IF --username U --password-file F [--service S] [--ac-name N] [--auth auto|pap|chap] " +
			fmt.Sprintf("[--mtu %d] [--tun %s] [--table %d] [--echo-interval %s] [--echo-failures %d] [--echo-probe-interval %s] [--state-dir DIR] ",
				config.DefaultPPPoEMTU, config.DefaultTUN, config.DefaultPPPoETable, config.DefaultEchoInterval, config.DefaultEchoFailures, config.DefaultEchoProbeInterval) +
			"[--macvlan] [--default-route] [--ipv6cp] [--events json]",
		Summary: msg.T("hold one PPPoE session in the foreground (userspace, over a TUN device)",
			"PPPoE セッションを1つ、フォアグラウンドで張る（ユーザー空間、TUN デバイス経由）"),
		Run: runPPPoE,
	})
}

// passwordEnv is the environment variable that may carry the PPPoE password.
const passwordEnv = config.EnvPPPoEPassword

func runPPPoE(ctx context.Context, stdio cli.IO, args []string) error {
	cfg, events, err := pppoeConfig(stdio, args)
	if err != nil {
		return err
	}
	ifi, err := net.InterfaceByName(cfg.Interface)
	if err != nil {
		return cli.NotFoundf("%v", hostnet.InterfaceNotFound(cfg.Interface))
	}
	if err := checkPrivileges(); err != nil {
		return err
	}
	if len(ifi.HardwareAddr) != 6 {
		return cli.Usage(msg.T("--interface %s: not an Ethernet interface (no MAC address); PPPoE runs on the LAN's Ethernet interface",
			"--interface %s はイーサネットのインターフェースではありません（MAC アドレスがありません）。PPPoE には LAN のイーサネットのインターフェースを指定してください", cfg.Interface))
	}
	enc := json.NewEncoder(stdio.Stdout)
	lang := msg.FromEnv(stdio.Getenv)
	cfg.OnEvent = func(e session.Event) {
		if events == "json" {
			_ = enc.Encode(e)
			return
		}
		printEvent(stdio.Stdout, e, lang)
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

// pppoeConfig parses the flags into the config file's pppoe section, judges
// each value as check-config does (config's Check functions) and converts
// it the way `dualpath run` does (session.ClientConfigFrom).
func pppoeConfig(stdio cli.IO, args []string) (cfg session.ClientConfig, events string, err error) {
	fs := flag.NewFlagSet("pppoe", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are one line (below); -h prints the flags
	var (
		p             config.PPPoE
		lan, stateDir string
		passwordFile  string
		ipv6cp        bool
	)
	fs.StringVar(&lan, "interface", "", cli.T("LAN interface that reaches the access concentrator",
		"アクセスコンセントレーターに届く LAN インターフェース"))
	fs.StringVar(&p.Username, "username", "", cli.T("PPPoE user name",
		"PPPoE の認証ID"))
	fs.StringVar(&passwordFile, "password-file", "", cli.T("file holding the password (mode 0600); or set %s",
		"パスワードを入れたファイル（モード 0600）。または %s を設定", passwordEnv))
	fs.StringVar(&p.Service, "service", "", cli.T("Service-Name to ask for (default: any)",
		"求める Service-Name（既定: どれでも）"))
	fs.StringVar(&p.ACName, "ac-name", "", cli.T("accept only this access concentrator (AC-Name)",
		"この名前（AC-Name）のアクセスコンセントレーターだけを受け入れる"))
	fs.StringVar(&p.Auth, "auth", config.DefaultPPPoEAuth, cli.T("authentication: auto, pap or chap",
		"認証方式: auto、pap、chap"))
	fs.IntVar(&p.MTU, "mtu", config.DefaultPPPoEMTU, cli.T("MTU/MRU of the session, %d-%d (above 1492 needs RFC 4638 support at the AC)",
		"セッションの MTU/MRU、%d〜%d（1492 を超えるには相手の RFC 4638 対応が必要）", config.MinPPPoEMTU, config.MaxPPPoEMTU))
	fs.StringVar(&p.TUN, "tun", config.DefaultTUN, cli.T("name of the TUN device (at most %d characters)",
		"TUN デバイスの名前（%d 文字まで）", config.MaxTUNName))
	fs.IntVar(&p.Table, "table", config.DefaultPPPoETable, cli.T("policy routing table for replies from the session address",
		"セッションのアドレスからの応答に使うポリシールーティングの表"))
	fs.DurationVar(&p.EchoInterval, "echo-interval", config.DefaultEchoInterval, cli.T("LCP echo interval",
		"LCP エコーの間隔"))
	fs.IntVar(&p.EchoFailures, "echo-failures", config.DefaultEchoFailures, cli.T("unanswered probes, after an echo interval without any frame, before the link counts as lost",
		"フレームが来ないままエコー間隔が過ぎたあと、切断とみなすまでの無応答の確認の回数"))
	fs.DurationVar(&p.EchoProbeInterval, "echo-probe-interval", config.DefaultEchoProbeInterval, cli.T("time between those probes",
		"その確認の間隔"))
	fs.StringVar(&stateDir, "state-dir", config.DefaultStateDir, cli.T("directory for the host-change journal and the last session",
		"このサーバへの変更の記録と最後のセッションを置くディレクトリ"))
	fs.BoolVar(&p.Macvlan, "macvlan", false, cli.T("run the session on a macvlan with its own MAC address",
		"独自の MAC アドレスを持つ macvlan でセッションを張る"))
	fs.BoolVar(&p.DefaultRoute, "default-route", false, cli.T("also route all IPv4 through the session (main table)",
		"IPv4 の通信すべてをセッション経由にする（「main」の表）"))
	fs.BoolVar(&ipv6cp, "ipv6cp", false, cli.T("negotiate IPv6CP (RFC 5072) too",
		"IPv6CP（RFC 5072）も交渉する"))
	fs.StringVar(&events, "events", "", cli.T("print events as JSON lines (json)",
		"出来事を JSON の行で表示（json）"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		if !cli.IsHelp(err) && strings.Contains(err.Error(), "not defined: -password\n") {
			return cfg, "", cli.Usage(msg.T("pppoe: the password never goes on the command line (others can read it): use --password-file FILE (mode 0600) or DUALPATH_PPPOE_PASSWORD",
				"pppoe: パスワードはコマンドラインに書きません（他人から読めます）。--password-file FILE（モード 0600）か DUALPATH_PPPOE_PASSWORD を使ってください"))
		}
		return cfg, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", cli.Usage(msg.T("pppoe takes no arguments (got %q)", "pppoe は引数を取りません（%q があります）", fs.Arg(0)))
	}
	switch {
	case lan == "":
		return cfg, "", cli.Usage(msg.T("--interface is required: the LAN interface that reaches the router (e.g. --interface enp1s0)",
			"--interface が必要です。ルータに届く LAN インターフェースを指定してください（例 --interface enp1s0）"))
	case p.Username == "":
		return cfg, "", cli.Usage(msg.T("--username is required: the PPPoE user name from your ISP", "--username が必要です。プロバイダの PPPoE 認証ID を指定してください"))
	case events != "" && events != "json":
		return cfg, "", cli.Usage(msg.T("--events: only \"json\" is supported (got %q)", "--events: 使えるのは \"json\" だけです（%q が指定されました）", events))
	}
	for _, c := range []struct {
		flag string
		err  error
	}{
		{"--mtu", config.CheckMTU(p.MTU)},
		{"--tun", config.CheckTUN(p.TUN, lan)},
		{"--table", config.CheckTable(p.Table)},
		{"--auth", config.CheckAuth(p.Auth)},
		{"--echo-interval", config.CheckEchoInterval(p.EchoInterval)},
		{"--echo-failures", config.CheckEchoFailures(p.EchoFailures)},
		{"--echo-probe-interval", config.CheckEchoProbeInterval(p.EchoProbeInterval, p.EchoInterval)},
	} {
		if c.err != nil {
			return cfg, "", cli.Usage(msg.T("%s %v", "%s %v", c.flag, c.err))
		}
	}
	pw, err := readPassword(passwordFile, stdio.Getenv)
	if err != nil {
		return cfg, "", err
	}
	cfg, err = session.ClientConfigFrom(lan, stateDir, &p, pw)
	if err != nil {
		return cfg, "", cli.Usagef("%v", err)
	}
	cfg.IPv6CP = ipv6cp
	return cfg, events, nil
}

// readPassword takes the password the way the daemon does (config.PPPoE.Password):
// the environment variable wins, else the file, which must be a regular file
// that group and others cannot read.
func readPassword(file string, getenv func(string) string) ([]byte, error) {
	if file == "" && (getenv == nil || getenv(passwordEnv) == "") {
		return nil, cli.Usage(msg.T("no password: give --password-file FILE (mode 0600) or set %s", "パスワードがありません。--password-file FILE（モード 0600）を指定するか %s を設定してください", passwordEnv))
	}
	pw, err := (&config.PPPoE{PasswordFile: file}).Password(getenv)
	if err != nil {
		return nil, cli.Usage(msg.T("password file: %v", "パスワードのファイル: %v", err))
	}
	return []byte(pw), nil
}

// checkPrivileges fails early, naming the capabilities, when the process
// can neither open raw sockets nor change the network configuration.
func checkPrivileges() error {
	caps, ok := hostnet.EffectiveCaps()
	if ok && !caps.Has(hostnet.CapNetAdmin, hostnet.CapNetRaw) {
		return cli.Fail(msg.T("dualpath pppoe needs CAP_NET_ADMIN and CAP_NET_RAW: run it as root, or grant them (systemd AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW)",
			"dualpath pppoe には CAP_NET_ADMIN と CAP_NET_RAW が必要です。root で実行するか、権限を与えてください（systemd なら「AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW」）"))
	}
	return nil // unknown (no /proc): let the operations report
}

// printEvent writes one event as a line for a person, in lang, fitted to
// 80 columns (reasons are the session's own words).
func printEvent(w io.Writer, e session.Event, lang msg.Lang) {
	var t msg.Text
	switch e.Kind {
	case session.KindUp:
		dns := make([]string, len(e.DNS))
		for i, a := range e.DNS {
			dns[i] = a.String()
		}
		t = msg.T("up: address %s peer %s dns %s mtu %d", "接続: アドレス %s、相手 %s、DNS %s、MTU %d", e.Address, e.Peer, strings.Join(dns, ","), e.MTU)
	case session.KindIPv6Up:
		t = msg.T("IPv6 up: %s peer %s", "IPv6 接続: %s、相手 %s", e.Address, e.Peer)
	case session.KindSession:
		t = msg.T("session %#04x with %s (%s)", "セッション %#04x（相手 %s、%s）", e.SessionID, e.ACName, e.ACMAC)
	case session.KindAuth:
		t = msg.Same(strings.TrimSpace(fmt.Sprintf("auth %s: %s %s", e.Method, e.State, e.Reason)))
		if e.State == "ok" {
			t.JA = msg.T("auth %s: ok", "認証 %s: 成功", e.Method).JA
		}
		if e.State == "failed" {
			t = msg.T("auth %s: failed %s", "認証 %s: %s", e.Method, msg.CodeText(e.Code, e.Reason))
		}
	case session.KindDown:
		t = msg.T("down: %s", "切断: %s", msg.CodeText(e.Code, e.Reason))
		if e.RetryIn > 0 {
			t = msg.T("%s; retrying in %s", "%s。%s 後に再接続", t, e.RetryIn)
		}
	default:
		t = msg.Same(strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.Kind, e.State, e.ACName, e.Reason)))
		if e.Kind == session.KindDiscovery {
			t.JA = discoveryJA(e).JA
		}
	}
	msg.Hanging(w, e.Time.Format("15:04:05")+" pppoe: ", strings.Repeat(" ", 9), strings.TrimSpace(t.In(lang)))
}

// discoveryJA says a discovery event in Japanese (its English is the
// event's fields as they are).
func discoveryJA(e session.Event) msg.Text {
	switch e.State {
	case "padi":
		return msg.T("discovery: PADI sent", "接続先探し: PADI を送りました")
	case "offer":
		return msg.T("discovery: offer from %s (%s)", "接続先探し: %s（%s）から応答", e.ACName, e.ACMAC)
	case "offer-ignored":
		return msg.T("discovery: offer from %s (%s) ignored", "接続先探し: %s（%s）からの応答は使いません", e.ACName, e.ACMAC)
	case "error":
		return msg.T("discovery: %s (%s) sent an error tag: %q", "接続先探し: %s（%s）がエラーを返しました: %q", e.ACName, e.ACMAC, e.Reason)
	case "failed":
		return msg.T("discovery failed: %s", "接続先探しに失敗: %s", msg.CodeText(e.Code, e.Reason))
	}
	return msg.Same(strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.Kind, e.State, e.ACName, e.Reason)))
}
