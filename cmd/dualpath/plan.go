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
		Usage: "plan --config FILE [--out DIR] [--force] [--netplan-dir DIR]",
		Summary: msg.T("write netplan, nginx and router settings for the LAN plan",
			"LAN の構成から netplan、nginx、ルータの設定を書く"),
		Run: runPlan,
	})
}

func runPlan(_ context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("plan")
	cfgPath := fs.String("config", "", "config file with a plan: section (required)")
	out := fs.String("out", "", "write the files into this directory instead of printing them")
	force := fs.Bool("force", false, "with --out: replace files whose content differs")
	netplanDir := fs.String("netplan-dir", plan.DefaultNetplanDir, "read the existing netplan files here and report conflicts (only reads)")
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return cli.Usagef("plan: unexpected argument %q: use --config FILE", fs.Arg(0))
	}
	if *cfgPath == "" {
		return cli.Usagef("plan: --config FILE is required")
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	p, err := plan.FromConfig(cfg)
	if err != nil {
		var errs plan.Errors
		if errors.As(err, &errs) {
			lines := make([]string, len(errs))
			for i, pr := range errs {
				lines[i] = fmt.Sprintf("%s: %s", *cfgPath, pr)
			}
			return cli.Usagef("plan is inconsistent (%d problem(s)):\n%s", len(errs), strings.Join(lines, "\n"))
		}
		return cli.Usagef("%v", err)
	}
	files := plan.Generate(p)
	lang := msg.FromEnv(stdio.Getenv)
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
	default:
		return cli.Usagef("plan: --netplan-dir: %v", err)
	}
	if *out == "" {
		printPlanFiles(stdio.Stdout, files)
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
		return cli.Failf("plan: cannot write: %v", err)
	}
	for _, r := range res {
		state := "wrote"
		if r.Unchanged {
			state = "unchanged"
		}
		fmt.Fprintf(stdio.Stdout, "%-9s %s\n", state, r.Path)
	}
	if review != nil {
		fmt.Fprintf(stdio.Stdout, "\n%s", review.Report(p, lang, *out))
	}
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func printPlanFiles(w io.Writer, files []plan.File) {
	for i, f := range files {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "==> %s: %s <==\n", f.Name, f.Title)
		_, _ = w.Write(f.Content)
	}
}
