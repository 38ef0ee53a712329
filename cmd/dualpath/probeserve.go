package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dualpath/dualpath/internal/cli"
	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/probeserve"
)

const probeServeUsage = "probe-serve --listen ADDR --token-file F [--tls-cert F --tls-key F] [--burst N --every D]"

func init() {
	cli.Register(&cli.Command{
		Name:  "probe-serve",
		Usage: probeServeUsage,
		Summary: msg.T("let a dualpath server check itself from here (probes only the asker's own address)",
			"このサーバから dualpath のサーバを外から確認させる（確認するのは問い合わせ元のアドレスだけ）"),
		Run: runProbeServe,
	})
}

func runProbeServe(ctx context.Context, stdio cli.IO, args []string) error {
	fs := cli.NewFlagSet("probe-serve")
	listen := fs.String("listen", "", cli.T("address to listen on, e.g. [::]:8443 (both families)",
		"待ち受けるアドレス（例 [::]:8443 で IPv4 と IPv6 の両方）"))
	tokenFile := fs.String("token-file", "", cli.T("file holding the token askers send (mode 0600)",
		"問い合わせ側が送るトークンを入れたファイル（モード 0600）"))
	cert := fs.String("tls-cert", "", cli.T("serve HTTPS with this certificate (PEM), optional",
		"この証明書（PEM）で HTTPS にする。省略可"))
	key := fs.String("tls-key", "", cli.T("the certificate's private key (PEM)",
		"証明書の秘密鍵（PEM）"))
	burst := fs.Int("burst", probeserve.DefaultBurst, cli.T("requests each source (IPv4 address, IPv6 /64) may send at once",
		"送信元（IPv4 アドレス、IPv6 の /64）ごとに一度に受け付ける問い合わせの数"))
	every := fs.Duration("every", probeserve.DefaultEvery, cli.T("then one more request per source after this long",
		"その後は、送信元ごとにこの時間ごとに1つ追加で受け付ける"))
	if err := cli.Parse(stdio, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *listen == "" || *tokenFile == "" {
		return cli.Usage(msg.T("usage: dualpath %s", "使い方: dualpath %s", probeServeUsage))
	}
	if *burst < 1 || *burst > 1000 || *every < 100*time.Millisecond || *every > time.Hour {
		return cli.Usage(msg.T("probe-serve: --burst 1-1000 and --every 100ms-1h (defaults %d and %s)", "probe-serve: --burst は 1〜1000、--every は 100ms〜1h にしてください（既定は %d と %s）", probeserve.DefaultBurst, probeserve.DefaultEvery))
	}
	if (*cert == "") != (*key == "") {
		return cli.Usage(msg.T("probe-serve: give both --tls-cert and --tls-key, or neither", "probe-serve: --tls-cert と --tls-key は両方指定するか、どちらも指定しないでください"))
	}
	token, err := config.ReadSecret(*tokenFile)
	if err != nil {
		return cli.Usagef("probe-serve: --token-file: %v", err)
	}
	log := slog.New(msg.LogHandler(slog.NewTextHandler(stdio.Stderr, nil), msg.FromEnv(stdio.Getenv)))
	s, err := probeserve.NewServer(probeserve.Options{Token: token, Log: log, Burst: *burst, Every: *every})
	if err != nil {
		return cli.Usagef("probe-serve: %v", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return cli.Failf("probe-serve: %v", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: probeserve.ClientTimeout, MaxHeaderBytes: 8 << 10}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	msg.LogInfo(log, msg.T("probe-serve listening", "probe-serve が待ち受けています"), "addr", ln.Addr().String(), "tls", *cert != "")
	if *cert != "" {
		err = srv.ServeTLS(ln, *cert, *key)
	} else {
		err = srv.Serve(ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return cli.Failf("probe-serve: %v", err)
	}
	fmt.Fprintln(stdio.Stderr, "probe-serve stopped")
	return nil
}
