package ddns

import (
	"context"

	"github.com/dualpath/dualpath/internal/hostnet"
)

func platformAddrs(ns, link string) ([]IfAddr, error) {
	as, err := hostnet.AddrsIn(ns, link)
	if err != nil {
		return nil, err
	}
	out := make([]IfAddr, len(as))
	for i, a := range as {
		out[i] = IfAddr{Prefix: a.Prefix, Flags: AddrFlags(a.Flags), Scope: a.Scope, PreferredLft: a.PreferredLft, ValidLft: a.ValidLft}
		if a.PreferredLft == hostnet.AddrForever {
			out[i].PreferredLft = Forever
		}
		if a.ValidLft == hostnet.AddrForever {
			out[i].ValidLft = Forever
		}
	}
	return out, nil
}

func platformWatch(ctx context.Context, ns string) <-chan struct{} {
	return hostnet.WatchAddrsIn(ctx, ns)
}
