package lab

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Demo brings the lab up, runs the checks with a short narrative a newcomer
// can follow, and removes the lab again (also when something fails).
func Demo(ctx context.Context, l *Lab, w io.Writer, lang string) (*Report, error) {
	ja := strings.HasPrefix(lang, "ja")
	say := func(en, jp string) {
		if ja {
			fmt.Fprintln(w, jp)
		} else {
			fmt.Fprintln(w, en)
		}
	}
	say("dualpath lab demo: a house and its ISP, built in network namespaces on this machine.",
		"dualpath lab demo: 家とISPをこのマシンのネットワーク名前空間に組み立てます。")
	defer func() {
		_ = l.Down()
		say("\nEverything the demo made is removed again.", "\nデモが作ったものはすべて削除しました。")
	}()
	l.log = w
	if err := l.Up(ctx); err != nil {
		return nil, err
	}
	rep, err := l.Test(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w)
	rep.Print(w)
	return rep, nil
}
