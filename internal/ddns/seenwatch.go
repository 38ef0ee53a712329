package ddns

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// Watching a seen path. Nothing on the server changes when the second
// router's PPPoE session comes back with another address, so a periodic
// check alone would notice only at the next interval. But the router's NAT
// forgets its mappings when the session drops: a TCP connection the server
// holds through it breaks. So for each seen family with echo_url the
// updater holds one idle connection to the echo service, from the same
// address by the same path as the updates (one HTTP request, then TCP
// keepalive probes every seenWatchIdle), and checks at once when it breaks:
// a reset (the far end no longer knows the connection, now arriving from
// the new address) or unanswered probes. A connection the echo service
// closes when idle is opened again, at most once per seenWatchMinLife: at
// worst an echo request a minute, never a provider request.

// Tuning of the path watch (one owner for each).
const (
	seenWatchIdle     = 10 * time.Second // idle time before a keepalive probe, and between probes when answered
	seenWatchInterval = 5 * time.Second  // between unanswered probes
	seenWatchCount    = 3                // unanswered probes before the connection is dead
	seenWatchMinLife  = time.Minute      // a connection that lived shorter is not reopened sooner than this
)

// watchSeenPaths starts one path watch per seen family with echo_url.
func (u *Updater) watchSeenPaths(ctx context.Context) {
	for _, r := range u.recs {
		if r.cfg.EchoURL == "" {
			continue
		}
		for _, f := range []struct {
			src config.Source
			v6  bool
		}{{r.v4, false}, {r.v6, true}} {
			if f.src.Kind == config.SourceSeen {
				go u.watchSeen(ctx, r, f.src, f.v6)
			}
		}
	}
}

// watchSeen holds the watch connection of one seen family until ctx ends,
// kicking the updater whenever it breaks or comes back after a failure.
func (u *Updater) watchSeen(ctx context.Context, r *record, src config.Source, v6 bool) {
	failed := false
	for ctx.Err() == nil {
		start := time.Now()
		err := u.holdSeenPath(ctx, r, src, v6, func() {
			if failed {
				u.Kick() // the path is back: check what it looks like now
			}
			failed = false
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			msg.LogInfo(u.log, msg.T("ddns seen path watch broke; checking now", "DDNS: 接続元アドレスの見張りが切れたため、今確かめます"),
				"record", r.label, "v6", v6, "err", scrubText(err, r.secrets))
		} else {
			u.log.Debug("ddns seen path watch closed by the echo service; checking now", "record", r.label, "v6", v6)
		}
		u.Kick()
		wait := time.Second
		if err != nil {
			failed = true
			wait = 5 * time.Second
		} else if lived := time.Since(start); lived < seenWatchMinLife {
			wait = seenWatchMinLife - lived
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// holdSeenPath connects to echo_url from the family's local address, asks
// it once (proving the path works, then calls up), and blocks until the
// connection ends: nil when the service closed it, an error when it broke.
func (u *Updater) holdSeenPath(ctx context.Context, r *record, src config.Source, v6 bool, up func()) error {
	as, err := u.opts.Addrs(u.seenLink(src))
	if err != nil {
		return err
	}
	local, err := SeenLocal(as, v6, r.choice)
	if err != nil {
		return err
	}
	eu, err := url.Parse(r.cfg.EchoURL)
	if err != nil {
		return err
	}
	network := "tcp4"
	if v6 {
		network = "tcp6"
	}
	port := eu.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[eu.Scheme]
	}
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: local.AsSlice(), Zone: local.Zone()},
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: seenWatchIdle, Interval: seenWatchInterval, Count: seenWatchCount}}
	conn, err := d.DialContext(ctx, network, net.JoinHostPort(eu.Hostname(), port))
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	var c net.Conn = conn
	if eu.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: eu.Hostname()})
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		c = tc
	}
	req, err := http.NewRequest(http.MethodGet, eu.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	_ = c.SetDeadline(time.Now().Add(httpTimeout))
	if err := req.Write(c); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return err
	}
	body, _ := readBody(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("echo_url answered HTTP %d", resp.StatusCode)
	}
	if _, err := ParseEchoAnswer(body, v6); err != nil {
		return err
	}
	if resp.Close {
		return nil // the service does not keep connections: the minimum life paces us
	}
	up()
	_ = c.SetDeadline(time.Time{})
	// Idle now: only keepalive probes flow. Any byte, EOF or error ends it.
	_, err = br.ReadByte()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err == nil {
		return errors.New("echo_url sent data on an idle connection")
	}
	return err
}
