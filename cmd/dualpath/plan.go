package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/plan"
)

func init() {
	cli.Register(&cli.Command{
		Name:  "plan",
		Usage: "plan --config FILE [--out DIR] [--force] [--netplan-dir DIR] [--nginx SITE_FILE]...",
		Summary: msg.T("write netplan, nginx and router settings for the LAN plan",
			"LAN の構成から netplan、nginx、ルータの設定を書く"),
		Run: runPlan,
	})
}

func runPlan(_ context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("plan")
	cfgPath := fs.String("config", "", cli.T("config file with a plan: section (required)",
		"「plan:」のある設定ファイル（必須）"))
	out := fs.String("out", "", cli.T("write the files into this directory instead of printing them",
		"表示する代わりに、このディレクトリにファイルを書く"))
	force := fs.Bool("force", false, cli.T("with --out: replace files whose content differs",
		"--out と共に: 内容の違うファイルを置き換える"))
	var sites stringList
	fs.Var(&sites, "nginx", cli.T("an nginx site file to copy with an IPv6 twin for each IPv4 listen line (repeatable; only reads it)",
		"IPv4 の「listen」行ごとに IPv6 の行を足した写しを作る nginx のサイトファイル（複数可、元は読むだけ）"))
	netplanDir := fs.String("netplan-dir", plan.DefaultNetplanDir, cli.T("read the existing netplan files here and report conflicts (only reads)",
		"ここにある netplan のファイルを読んで衝突を知らせる（読むだけ）"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usage(msg.T("plan: unexpected argument %q: use --config FILE", "plan: 余分な引数 %q があります。設定ファイルは --config FILE で指定してください", fs.Arg(0)))
	}
	if *cfgPath == "" {
		return cli.Usage(msg.T("plan: --config FILE is required (a config file with a plan: section)",
			"plan: --config FILE が必要です（「plan:」のある設定ファイル）"))
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	p, err := plan.FromConfig(cfg)
	if err != nil {
		var errs plan.Errors
		if errors.As(err, &errs) {
			var en, ja []string
			for _, pr := range errs {
				en = append(en, *cfgPath+": "+pr.In(msg.English))
				ja = append(ja, *cfgPath+": "+pr.In(msg.Japanese))
			}
			lines := msg.Text{EN: strings.Join(en, "\n"), JA: strings.Join(ja, "\n")}
			if len(errs) == 1 {
				return cli.Usage(msg.T("plan is inconsistent (1 problem):\n%s", "plan の内容に問題があります（1 件）:\n%s", lines))
			}
			return cli.Usage(msg.T("plan is inconsistent (%d problems):\n%s", "plan の内容に問題があります（%d 件）:\n%s", len(errs), lines))
		}
		return cli.Usagef("%v", err)
	}
	lang := msg.FromEnv(stdio.Getenv)
	files := plan.Generate(p, lang)
	var siteNotes []msg.Text
	seen := map[string]string{}
	for _, site := range sites {
		src, err := os.ReadFile(site)
		if err != nil {
			return cli.Usagef("plan: --nginx: %v", err)
		}
		siteFiles, edits, err := plan.NginxSite(site, src)
		if err != nil {
			return cli.Usage(msg.T("plan: --nginx %v: fix the file so that nginx -t passes, then retry", "plan: --nginx %v: 「nginx -t」が通るようにファイルを直してから、やり直してください", err))
		}
		if other, dup := seen[siteFiles[0].Name]; dup {
			return cli.Usage(msg.T("plan: --nginx %s and %s have the same name: give them one at a time", "plan: --nginx の %s と %s は同じ名前です。1つずつ指定してください", other, site))
		}
		seen[siteFiles[0].Name] = site
		if len(edits) == 0 {
			siteNotes = append(siteNotes, msg.T("%s already listens on IPv6 wherever it listens on IPv4: nothing to change",
				"%s は IPv4 で待ち受ける所すべてで IPv6 でも待ち受けています。変更はありません", site))
			continue
		}
		files = append(files, siteFiles...)
		for _, e := range edits {
			siteNotes = append(siteNotes, msg.T("%s:%d: adds %s", "%s:%d: %s を追加します", site, e.Line, e.Added))
		}
	}
	// The existing netplan files: a missing default directory (not a
	// netplan system) is no error; a missing directory the user named is.
	var review *plan.NetplanReview
	srcs, err := plan.ReadNetplanDir(*netplanDir)
	switch {
	case err == nil:
		r := plan.ReviewNetplan(p, srcs)
		review = &r
		files = append(files, r.Files()...)
	case errors.Is(err, os.ErrNotExist) && !flagSet(fs, "netplan-dir"):
	case errors.Is(err, os.ErrPermission) && !flagSet(fs, "netplan-dir"):
		// netplan files are mode 0600: without root, say what was not checked.
		siteNotes = append(siteNotes, msg.T("%s not checked for conflicting settings: %v (run as root to check it)",
			"%s はぶつかる設定を調べていません: %v（root で実行すると調べます）", *netplanDir, err))
	default:
		return cli.Usagef("plan: --netplan-dir: %v", err)
	}
	pr := msg.Printer{W: stdio.Stdout, Lang: lang}
	if *out == "" {
		printPlanFiles(stdio.Stdout, files, lang)
		for _, n := range siteNotes {
			pr.Println(n)
		}
		if review != nil {
			fmt.Fprintf(stdio.Stdout, "\n==> %s <==\n%s", *netplanDir, review.Report(p, lang, ""))
		}
		return nil
	}
	res, err := plan.WriteFiles(*out, files, *force)
	if err != nil {
		if errors.Is(err, plan.ErrExists) {
			return cli.Failf("plan: %v", err)
		}
		return cli.Fail(msg.T("plan: cannot write: %v", "plan: 書き込めません: %v", err))
	}
	for _, r := range res {
		if r.Unchanged {
			pr.Printf("unchanged %s", "変更なし %s", r.Path)
		} else {
			pr.Printf("wrote     %s", "書き込み %s", r.Path)
		}
	}
	for _, n := range siteNotes {
		pr.Println(n)
	}
	if len(sites) > 0 {
		pr.Println(msg.T("To install a copy: keep the original, copy the nginx-* file over it, run `nginx -t`, then `systemctl reload nginx`.",
			"写しを入れるには、元のファイルを残してから nginx-* のファイルで置き換え、`nginx -t` で確かめてから `systemctl reload nginx` を実行します。"))
	}
	if review != nil {
		fmt.Fprintf(stdio.Stdout, "\n%s", review.Report(p, lang, *out))
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// printPlanFiles prints the files with a header each, in lang: of the two
// router checklists only the one in lang (--out writes both).
func printPlanFiles(w io.Writer, files []plan.File, lang msg.Lang) {
	skip := plan.ChecklistJAFile
	if lang == msg.Japanese {
		skip = plan.ChecklistENFile
	}
	first := true
	for _, f := range files {
		if f.Name == skip {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		fmt.Fprintf(w, "==> %s: %s <==\n", f.Name, f.Title.In(lang))
		_, _ = w.Write(f.Content)
	}
}
