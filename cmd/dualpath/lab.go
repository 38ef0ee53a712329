//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/lab"
	"github.com/dualpath/dualpath/internal/msg"
)

const labUsage = "lab up|down|status|exec|test|demo|chaos [--prefix P] [flags]"

// labVerbs are the lab subcommands.
var labVerbs = []string{"up", "down", "status", "exec", "test", "demo", "chaos"}

func init() {
	cli.Register(&cli.Command{
		Name:  "lab",
		Usage: labUsage,
		Summary: msg.T("the whole house and an ISP in network namespaces: demo and end-to-end test",
			"家と ISP をネットワーク名前空間に再現する（デモと総合テスト）"),
		Subs: []cli.Sub{
			{Name: "up", Usage: "lab up [--scenario server-pppoe|two-routers|ipip-fixed] [--prefix P] [--state-root DIR]",
				Summary: msg.T("build the house and the ISP and leave them running", "家と ISP を組み立て、動かしたままにする")},
			{Name: "down", Usage: "lab down [--prefix P] [--state-root DIR]",
				Summary: msg.T("remove the lab: namespaces, processes, state", "ラボを削除する（名前空間、プロセス、状態）")},
			{Name: "status", Usage: "lab status [--prefix P] [--state-root DIR]",
				Summary: msg.T("show the running lab's nodes and processes", "動作中のラボのノードとプロセスを表示する")},
			{Name: "exec", Usage: "lab exec NODE [--prefix P] [--state-root DIR] -- COMMAND [ARGS...]",
				Summary: msg.T("run a command inside one node's namespace", "ノードの名前空間の中でコマンドを実行する")},
			{Name: "test", Usage: "lab test [--json] [--prefix P] [--state-root DIR]",
				Summary: msg.T("run the end-to-end checks against the running lab", "動作中のラボで総合テストを行う")},
			{Name: "demo", Usage: "lab demo [--scenario server-pppoe|two-routers|ipip-fixed] [--prefix P] [--state-root DIR]",
				Summary: msg.T("build, check and remove the lab, telling the story", "ラボを組み立て、確認し、削除しながら説明する")},
			{Name: "chaos", Usage: "lab chaos [--faults N] [--seed S] [--kinds K,...] [--json] [--mydns-outage D] [--prefix P] [--state-root DIR]",
				Summary: msg.T("inject seeded faults into the lab and check that it heals (brings a lab up if none runs)",
					"ラボにシード付きの障害を注入し、回復を確認する（ラボがなければ組み立てる）")},
		},
		Run: runLab,
	})
}

func runLab(ctx context.Context, stdio cli.IO, args []string) error {
	if len(args) == 0 {
		return cli.Usage(msg.T("usage: dualpath %s", "使い方: dualpath %s", labUsage))
	}
	verb, rest := args[0], args[1:]
	if verb == "-h" || verb == "--help" || verb == "-help" {
		return cli.Help(stdio, "lab")
	}
	if !slices.Contains(labVerbs, verb) {
		return cli.Usage(msg.T("unknown lab command %q%s: usage: dualpath %s",
			"%q というラボのサブコマンドはありません%s。使い方: dualpath %s", verb, cli.DidYouMean(verb, labVerbs), labUsage))
	}
	// Each subcommand has its own flags: -h lists exactly what it takes.
	fs := cli.NewFlagSet("lab " + verb)
	defPrefix := lab.DefaultPrefix
	if stdio.Getenv != nil && stdio.Getenv("DUALPATH_LAB_PREFIX") != "" {
		defPrefix = stdio.Getenv("DUALPATH_LAB_PREFIX")
	}
	prefix := fs.String("prefix", defPrefix, cli.T("namespace prefix (run labs side by side)",
		"名前空間の名前の頭（複数のラボを並べて動かすとき）"))
	stateRoot := fs.String("state-root", lab.DefaultStateRoot, cli.T("where each lab keeps its state dir",
		"各ラボの状態ディレクトリを置く場所"))
	scenario, asJSON := new(string), new(bool)
	*scenario = lab.ScenarioServerPPPoE
	faults, seed, kinds, outage := new(int), new(uint64), new(string), new(time.Duration)
	switch verb {
	case "up", "demo":
		fs.StringVar(scenario, "scenario", lab.ScenarioServerPPPoE, cli.T("server-pppoe, two-routers or ipip-fixed",
			"server-pppoe、two-routers、ipip-fixed のどれか"))
	case "test":
		fs.BoolVar(asJSON, "json", false, cli.T("print the report as JSON", "結果を JSON で表示"))
	case "chaos":
		fs.BoolVar(asJSON, "json", false, cli.T("print the report as JSON", "結果を JSON で表示"))
		fs.IntVar(faults, "faults", 10, cli.T("number of faults", "障害の数"))
		fs.Uint64Var(seed, "seed", 1, cli.T("seed of the fault schedule", "障害の順序のシード"))
		fs.StringVar(kinds, "kinds", "", cli.T("fault kinds, comma separated (default all: %s)",
			"障害の種類、カンマ区切り（既定はすべて: %s）", strings.Join(lab.FaultKinds(), ",")))
		fs.DurationVar(outage, "mydns-outage", time.Minute, cli.T("how long MyDNS answers 500",
			"MyDNS が 500 を返す時間"))
	}
	var cmdArgs []string
	if verb == "exec" { // exec [flags] NODE -- CMD...
		if i := indexOf(rest, "--"); i >= 0 {
			cmdArgs, rest = rest[i+1:], rest[:i]
		}
	}
	if err := cli.Parse(stdio, fs, rest); err != nil {
		return err
	}
	if !lab.ValidScenario(*scenario) {
		scenarios := []string{lab.ScenarioServerPPPoE, lab.ScenarioTwoRouters, lab.ScenarioIPIPFixed}
		return cli.Usage(msg.T("unknown scenario %q%s: use %s", "%q というシナリオはありません%s。%s のどれかにしてください",
			*scenario, msg.DidYouMean(*scenario, scenarios), msg.List(scenarios)))
	}
	if err := lab.CheckPrefix(*prefix); err != nil {
		return cli.Usagef("%v", err)
	}
	if err := lab.RequireRoot(); err != nil {
		return cli.Usagef("%v", err)
	}
	lang := msg.FromEnv(stdio.Getenv)
	l, err := lab.New(lab.Options{Prefix: *prefix, StateRoot: *stateRoot, Scenario: *scenario, Log: stdio.Stdout, Lang: lang})
	if err != nil {
		return cli.Usagef("%v", err)
	}
	switch verb {
	case "up":
		if fs.NArg() > 0 {
			return cli.Usage(msg.T("lab up takes no arguments", "lab up に引数はありません"))
		}
		pr := msg.Printer{W: stdio.Stdout, Lang: lang}
		pr.Printf("lab %s: bringing up scenario %s", "ラボ %s: シナリオ %s を組み立てます", *prefix, *scenario)
		if err := l.Up(ctx); err != nil {
			return cli.Fail(msg.T("lab up: %v\n(the half-built lab stays for inspection: 'dualpath lab status', logs in %s; 'dualpath lab down' removes it)",
				"lab up: %v\n（組み立て途中のラボは調べられるよう残します。「dualpath lab status」で確認、ログは %s、「dualpath lab down」で削除）", err, l.Dir))
		}
		pr.Printf("lab %s is up: 'dualpath lab test' checks it, 'dualpath lab down' removes it",
			"ラボ %s ができました。「dualpath lab test」で確認、「dualpath lab down」で削除します", *prefix)
		return nil
	case "down":
		if err := l.Down(); err != nil {
			return cli.Failf("lab down: %v", err)
		}
		msg.Printer{W: stdio.Stdout, Lang: lang}.Printf("lab %s removed", "ラボ %s を削除しました", *prefix)
		return nil
	case "status":
		if err := l.Status(stdio.Stdout); err != nil {
			if errors.Is(err, lab.ErrNoLab) {
				return cli.NotFound(msg.T("no lab %s is running: 'dualpath lab up' starts one", "ラボ %s は動いていません。「dualpath lab up」で起動します", *prefix))
			}
			return cli.Failf("lab status: %v", err)
		}
		return nil
	case "exec":
		if fs.NArg() != 1 || len(cmdArgs) == 0 {
			return cli.Usage(msg.T("usage: dualpath lab exec NODE -- COMMAND [ARGS...]", "使い方: dualpath lab exec NODE -- COMMAND [ARGS...]"))
		}
		code, err := l.Exec(ctx, fs.Arg(0), cmdArgs, stdio.Stdin, stdio.Stdout, stdio.Stderr)
		if err != nil {
			return cli.NotFoundf("%v", err)
		}
		if code != 0 {
			return cli.Silent(code)
		}
		return nil
	case "test":
		rep, err := l.Test(ctx)
		if err != nil {
			if errors.Is(err, lab.ErrNoLab) {
				return cli.NotFound(msg.T("no lab %s is running: run 'dualpath lab up' first", "ラボ %s は動いていません。先に「dualpath lab up」を実行してください", *prefix))
			}
			return cli.Failf("lab test: %v", err)
		}
		printReport(stdio.Stdout, rep, *asJSON, lang)
		if !rep.Passed() {
			return cli.Silent(cli.ExitFailure)
		}
		return nil
	case "chaos":
		return runChaos(ctx, stdio, l, *faults, *seed, *kinds, *outage, *asJSON, lang)
	case "demo":
		l2, _ := lab.New(lab.Options{Prefix: *prefix, StateRoot: *stateRoot, Scenario: *scenario, Log: io.Discard})
		rep, err := lab.Demo(ctx, l2, stdio.Stdout, lang)
		if err != nil {
			return cli.Failf("lab demo: %v", err)
		}
		if !rep.Passed() {
			return cli.Silent(cli.ExitFailure)
		}
		return nil
	}
	return nil
}

func printReport(w io.Writer, rep *lab.Report, asJSON bool, lang msg.Lang) {
	if asJSON {
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		_ = e.Encode(rep)
		return
	}
	rep.Print(w, lang)
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

// runChaos runs `lab chaos` on the running lab, or on one it brings up
// (and removes) itself.
func runChaos(ctx context.Context, stdio cli.IO, l *lab.Lab, n int, seed uint64, kinds string, outage time.Duration, asJSON bool, lang msg.Lang) error {
	if n < 1 {
		return cli.Usagef("--faults %d: give at least 1", n)
	}
	var ks []string
	if kinds != "" {
		ks = strings.Split(kinds, ",")
	}
	for _, k := range ks {
		if !slices.Contains(lab.FaultKinds(), k) {
			return cli.Usage(msg.T("--kinds: unknown fault kind %q: use %s", "--kinds: %q という障害の種類はありません。%s から選んでください", k, msg.Items(lab.FaultKinds())))
		}
	}
	progress := stdio.Stdout
	if asJSON {
		progress = stdio.Stderr
	}
	if _, err := l.Load(); errors.Is(err, lab.ErrNoLab) {
		fmt.Fprintln(progress, msg.T("no lab runs: bringing one up for the drill (removed at the end)",
			"ラボが動いていないため、訓練用に組み立てます（最後に削除します）").In(lang))
		if err := l.Up(ctx); err != nil {
			_ = l.Down()
			return cli.Failf("lab up: %v", err)
		}
		defer l.Down()
	}
	rep, err := l.Chaos(ctx, lab.ChaosOptions{Faults: n, Seed: seed, Kinds: ks, MyDNSOutage: outage, Progress: progress, Lang: lang})
	if err != nil {
		return cli.Failf("lab chaos: %v", err)
	}
	if asJSON {
		e := json.NewEncoder(stdio.Stdout)
		e.SetIndent("", "  ")
		_ = e.Encode(rep)
	} else {
		rep.Print(stdio.Stdout, lang)
	}
	if !rep.Passed() {
		return cli.Silent(cli.ExitFailure)
	}
	return nil
}
