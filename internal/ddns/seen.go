package ddns

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"

	"github.com/dualpath/dualpath/internal/hostnet"
	"github.com/dualpath/dualpath/internal/msg"
)

// The seen source ("ipv4: seen", "ipv6: seen", "seen:NAME"): the address a
// provider sees the request arrive from. The request is sent from the
// interface's own address (its primary IPv4 address, private or not; its
// stable IPv6 address) and leaves by the normal route: in two-routers mode
// the server's IPv4 default route points at the PPPoE router, which
// masquerades it to the session's public address. That is what the
// article's `wget --bind-address=192.168.1.10 https://ipv4.mydns.jp/...`
// cron job does.
//
// MyDNS (login), DuckDNS (IPv4 only) and dyndns2 record the source address
// when the request carries none, so for them nothing is sent but the
// request itself (SeenProvider). RFC 2136 and Cloudflare need an explicit
// address: it is learnt from echo_url, asked through the same path. With
// echo_url set, any provider sends only when the echoed address changed;
// without it (MyDNS, DuckDNS) the notification itself is the check, sent
// once per interval, and the provider's answer says what it recorded.

// SeenUpdate is an Update in which the families marked Seen carry no
// address: the service records the address the request arrives from, and
// that family's request is sent from IPv4Local/IPv6Local. For a seen
// family, IPv4/IPv6 is the address an echo service saw through the same
// path (what the service should record), or zero when no echo is set.
type SeenUpdate struct {
	Update
	Seen4, Seen6 bool
}

// Recorded is what a service said it recorded; a zero address when it did
// not say.
type Recorded struct{ IPv4, IPv6 netip.Addr }

// SeenProvider is a provider that can leave an address out of its request
// so that the service records the request's source address, and report
// which address it recorded.
type SeenProvider interface {
	Provider
	UpdateSeen(ctx context.Context, u SeenUpdate) (Recorded, error)
	// DryRunSeen describes the requests, never claiming an address the
	// service has not told yet.
	DryRunSeen(u SeenUpdate) []msg.Text
}

// seenNeedsEcho lists the providers that must be sent an explicit address,
// so a seen source needs echo_url; dyndns2 could record the source, but
// its servers count a "nochg" update as abuse, so it needs a change check.
var seenNeedsEcho = map[string]string{
	"rfc2136":    "DNS UPDATE carries the address itself",
	"cloudflare": "the API takes the address itself",
	"dyndns2":    "dyndns2 servers treat repeated unchanged updates as abuse, so the address must be checked before each update",
}

// validateSeen checks a record's seen sources and echo_url, and the
// IPv4 sources that cannot work in the config's mode: seen when the server
// holds the session itself (its requests leave by MAP-E), interface:NAME
// in two-routers mode (the server has only a private address).
func validateSeen(cfg *config.Config, d *config.DDNSRecord, at func(string) string, add func(key string, t msg.Text)) {
	v4, v6 := d.IPv4, d.IPv6
	seen4, seen6 := v4.Kind == config.SourceSeen, v6.Kind == config.SourceSeen
	if seen4 && cfg.PPPoE != nil && !cfg.PPPoE.DefaultRoute {
		add(at("ipv4"), msg.T("seen sends by the normal route, which is MAP-E when this server holds the PPPoE session (the service would record the shared address): use ipv4: pppoe",
			"seen は通常の経路で送りますが、このサーバが PPPoE セッションを持つときその経路は MAP-E です（サービスは共有アドレスを登録してしまいます）。「ipv4: pppoe」を使ってください"))
	}
	if seen4 && cfg.Tunnel != nil {
		// The tunnel routes only what leaves from the fixed address
		// (hostnet.ReplyRoutes: a rule from it, no main default route).
		add(at("ipv4"), msg.T("seen sends by the normal route, which is MAP-E: only traffic from the fixed address goes through the tunnel (the service would record the shared address): use ipv4: tunnel",
			"seen は通常の経路（MAP-E）で送ります。トンネルを通るのは固定アドレスから出る通信だけです（サービスは共有アドレスを登録してしまいます）。「ipv4: tunnel」を使ってください"))
	}
	if v4.Kind == config.SourceInterface && cfg.Plan != nil && cfg.Plan.Mode == "two-routers" {
		add(at("ipv4"), msg.T("in two-routers mode the server has only a private IPv4 address behind the PPPoE router: use ipv4: seen (the address the provider sees the request come from)",
			"two-routers 構成ではサーバは PPPoE ルーターの内側のプライベート IPv4 アドレスしか持ちません。「ipv4: seen」（プロバイダーから見た要求の送信元アドレス）を使ってください"))
	}
	if !seen4 && !seen6 {
		if d.EchoURL != "" {
			add(at("echo_url"), msg.T("echo_url is used only by seen sources: set ipv4: seen (or ipv6: seen), or remove echo_url",
				"echo_url を使うのは seen だけです。「ipv4: seen」（または「ipv6: seen」）にするか、echo_url を消してください"))
		}
		return
	}
	for _, s := range []struct {
		key string
		src config.Source
	}{{"ipv4", v4}, {"ipv6", v6}} {
		if s.src.Kind == config.SourceSeen && s.src.Link == "" && cfg.Interface == "" {
			add(at(s.key), msg.T("seen sends from the interface's own address: set the top-level interface: or write seen:NAME, e.g. seen:enp1s0",
				"seen はインターフェース自身のアドレスから送ります。最上位の interface: を書くか、seen:enp1s0 のように seen:NAME と書いてください"))
		}
	}
	if why, ok := seenNeedsEcho[d.Provider]; ok && d.EchoURL == "" {
		add(at("echo_url"), msg.T("missing: provider %s with a seen source needs echo_url (%s): an http(s) URL that answers the address it sees, asked through the same path",
			"ありません。seen を使う %s には echo_url が必要です（%s）。見えた送信元アドレスを答える http(s) の URL で、同じ経路で問い合わせます", d.Provider, why))
	}
	if u, err := url.Parse(d.EchoURL); err == nil && d.EchoURL != "" {
		if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
			for _, s := range []struct {
				key  string
				seen bool
				v6   bool
			}{{"ipv4", seen4, false}, {"ipv6", seen6, true}} {
				if s.seen && a.Unmap().Is4() == s.v6 {
					add(at("echo_url"), msg.T("%s is an address of the other family, so it cannot see the %s request: use a name with both A and AAAA records, or an address of that family",
						"%s は別の種類のアドレスなので、%s の要求を見られません。A と AAAA の両方を持つ名前か、その種類のアドレスを使ってください", d.EchoURL, s.key))
				}
			}
		}
	}
	switch d.Provider {
	case "mydns":
		if d.DirectIP {
			add(at("direct_ip"), msg.T("direct_ip sends explicit addresses, but seen means MyDNS records the address the request comes from: remove direct_ip",
				"direct_ip はアドレスを明示して送りますが、seen は MyDNS に要求の送信元アドレスを登録させます。direct_ip を消してください"))
		}
	case "duckdns":
		if seen6 {
			add(at("ipv6"), msg.T("DuckDNS detects only IPv4 from the request (duckdns.org/spec.jsp): use interface:NAME for ipv6",
				"DuckDNS が要求から読み取るのは IPv4 だけです（duckdns.org/spec.jsp）。ipv6 には interface:NAME を使ってください"))
		}
	case "dyndns2":
		if (seen4 && v6.Kind != config.SourceNone) || (seen6 && v4.Kind != config.SourceNone) {
			add(at("ipv4"), msg.T("dyndns2 records the request's address only for the request's own family: with seen, set the other family to none and publish it in a record of its own",
				"dyndns2 が登録するのは要求と同じ種類のアドレスだけです。seen を使うなら、もう一方を none にして別のレコードで登録してください"))
		}
	}
}

// seenLink is the interface a seen source sends from.
func (u *Updater) seenLink(src config.Source) string {
	if src.Link != "" {
		return src.Link
	}
	return u.cfg.Interface
}

// SeenLocal picks the address a seen request is sent from: for IPv4 the
// interface's primary IPv4 address (a private one is fine: it is only the
// source, the router translates it), for IPv6 the stable address
// ChooseIPv6 picks, which must be on the interface to be bound.
func SeenLocal(addrs []hostnet.Addr, v6 bool, c V6Choice) (netip.Addr, error) {
	if v6 {
		a, err := ChooseIPv6(addrs, c)
		if err != nil {
			return netip.Addr{}, err
		}
		for _, x := range addrs {
			if x.Prefix.Addr() == a {
				return a, nil
			}
		}
		return netip.Addr{}, msg.Err(msg.T("%s (chosen with ipv6_suffix) is not on the interface, so a request cannot be sent from it",
			"%s（ipv6_suffix で選んだもの）はインターフェースにないため、そこから要求を送れません", a))
	}
	var fallback netip.Addr
	for _, x := range addrs {
		a := x.Prefix.Addr()
		if !a.Is4() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
			continue
		}
		if x.Flags&hostnet.AddrSecondary == 0 {
			return a, nil
		}
		if !fallback.IsValid() {
			fallback = a
		}
	}
	if fallback.IsValid() {
		return fallback, nil
	}
	return netip.Addr{}, errNoIPv4
}

// resolveSeen finds the local address of a seen source and, with echo_url,
// the address the request is seen from. Without echo_url the address is
// zero: the provider tells it when it answers.
func (u *Updater) resolveSeen(ctx context.Context, r *record, src config.Source, v6 bool) (addr, local netip.Addr, err error) {
	link := u.seenLink(src)
	as, err := u.opts.Addrs(link)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, err
	}
	local, err = SeenLocal(as, v6, r.choice)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, msg.Errorf("%s: %w", "%s: %w", link, err)
	}
	if r.cfg.EchoURL == "" {
		return netip.Addr{}, local, nil
	}
	a, err := echo(ctx, r.cfg.EchoURL, v6, local)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, msg.Errorf("asking echo_url from %s: %w", "%s から echo_url に問い合わせられません: %w", local, err)
	}
	if err := u.checkSeen(a, local, r.choice.AllowULA); err != nil {
		return netip.Addr{}, netip.Addr{}, msg.Errorf("echo_url saw %s: %w", "echo_url から見えたのは %s: %w", a, err)
	}
	return a, local, nil
}

// checkSeen refuses a seen address that must not be published: the
// guards of CheckPublishable, and the MAP-E shared IPv4 address of this
// line, which means the request left by the IPoE router.
func (u *Updater) checkSeen(a, local netip.Addr, allowULA bool) error {
	if err := CheckPublishable(a, allowULA); err != nil {
		return err
	}
	if !a.Is4() {
		return nil
	}
	for _, p := range u.sharedIPv4() {
		if p.Contains(a) {
			return msg.Errorf("%s is the MAP-E shared IPv4 address of this line (%s): requests from %s leave by the IPoE router, where ports 80/443 cannot be reached; in two-routers mode point the server's IPv4 default route at the PPPoE router: %w",
				"%s はこの回線の MAP-E の共有 IPv4 アドレスです（%s）。%s からの要求は IPoE ルーターから出ていき、そこではポート 80/443 に届きません。ルーター2台の構成では、サーバーの IPv4 のデフォルト経路を PPPoE ルーターに向けてください（%w）",
				a, p, local, ErrNotPublishable)
		}
	}
	return nil
}

// seenUpdate sends a record's update through a SeenProvider and returns
// the update as published: each seen family's address is what the
// service recorded (or, when it did not say, what the echo saw). A
// recorded address that differs from the echo's, or that a guard refuses,
// is a KindVerify error.
func (u *Updater) seenUpdate(ctx context.Context, sp SeenProvider, su SeenUpdate) (Update, error) {
	rec, err := sp.UpdateSeen(ctx, su)
	if err != nil {
		return su.Update, err
	}
	up := su.Update
	for _, f := range []struct {
		seen      bool
		want, got netip.Addr
		local     netip.Addr
		out       *netip.Addr
	}{{su.Seen4, su.IPv4, rec.IPv4, su.IPv4Local, &up.IPv4}, {su.Seen6, su.IPv6, rec.IPv6, su.IPv6Local, &up.IPv6}} {
		if !f.seen {
			continue
		}
		a := f.got
		if !a.IsValid() {
			a = f.want // the service did not say; the echo did (or nobody)
		}
		if !a.IsValid() {
			continue
		}
		if f.want.IsValid() && a != f.want {
			return up, perr(sp.Kind(), KindVerify, "%s recorded %s, but echo_url saw %s through the same path", sp.Kind(), a, f.want)
		}
		if err := u.checkSeen(a, f.local, false); err != nil {
			return up, perr(sp.Kind(), KindVerify, "%s recorded the request's address %s, which must not be published: %v", sp.Kind(), a, err)
		}
		*f.out = a
	}
	return up, nil
}

// privateOnly explains an interface source that found only private IPv4
// addresses: behind a second router holding the PPPoE session, the
// server's own address is never the public one.
func privateOnly(link string, addrs []hostnet.Addr) error {
	var priv []msg.Text
	for _, x := range addrs {
		a := x.Prefix.Addr()
		if !a.Is4() {
			continue
		}
		if CheckPublishable(a, false) == nil {
			return nil
		}
		kind := msg.T("private", "プライベート")
		if cgnat.Contains(a) {
			kind = msg.T("carrier-grade NAT", "キャリアグレード NAT")
		} else if !a.IsPrivate() {
			return nil
		}
		priv = append(priv, msg.T("%s (%s)", "%s（%s）", a, kind))
	}
	if len(priv) == 0 {
		return nil
	}
	return &guardError{msg.T("%s has only %s; in two-router mode use `ipv4: seen` (the address MyDNS and others see the request come from)",
		"%s には %sしかありません。ルーター2台の構成では `ipv4: seen`（MyDNS などに見える要求の送り元のアドレス）を使ってください",
		link, msg.Join(priv, msg.Comma))}
}

// seenFrom says where a seen request goes from, for dry-run lines.
func seenFrom(local netip.Addr) msg.Text {
	if local.IsValid() {
		return msg.T("from %s by the default route", "%s から既定の経路で", local)
	}
	return msg.T("from the default source by the default route", "既定の送信元から既定の経路で")
}

// seenBlindDue reports whether a seen family without echo_url is due: its
// address is known only from the provider's answer, so the notification
// itself is the check, sent once per interval, and at once when that
// family was never published, the last attempt failed or the run is a
// one-shot (force: `dualpath ddns --once`).
func seenBlindDue(r *record, f4, f6 resolved, st recordState, now time.Time, force bool) bool {
	blind4 := f4.fresh && f4.seen && !f4.addr.IsValid()
	blind6 := f6.fresh && f6.seen && !f6.addr.IsValid()
	switch {
	case !blind4 && !blind6:
		return false
	case force, blind4 && !st.IPv4.IsValid(), blind6 && !st.IPv6.IsValid():
		return true
	}
	return st.LastUpdate.IsZero() || st.Failures > 0 || now.Sub(st.LastUpdate) >= r.interval*9/10
}

// dryRunProblems prints, for a dry run, why a managed family has nothing
// to publish: the same reason the log and status give, so a dry run never
// looks as if it would publish what it refuses.
func (u *Updater) dryRunProblems(r *record, f4, f6 resolved) {
	for _, f := range []struct {
		rr     string
		family resolved
	}{{"A", f4}, {"AAAA", f6}} {
		if f.family.err != nil {
			u.dryRunLine(r, msg.T("%s: %s not sent: %s", "%s: %s は送りません: %s", r.label, f.rr, msg.ErrorText(f.family.err)))
		}
	}
}

// seenExpect completes a dry-run line of a seen family: what echo_url saw,
// or that the address is known only from the provider's answer.
func seenExpect(want netip.Addr) msg.Text {
	if want.IsValid() {
		return msg.T(" (echo_url sees %s)", "（echo_url からは %s に見えます）", want)
	}
	return msg.T(" (known when it answers)", "（アドレスは応答で分かります）")
}

// pick is a when ok, else the zero address.
func pick(ok bool, a netip.Addr) netip.Addr {
	if ok {
		return a
	}
	return netip.Addr{}
}
