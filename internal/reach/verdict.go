package reach

import (
	"net/netip"
	"slices"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/portprobe"
)

// judge turns the views of one family/port into a status and the likely
// cause. The best view wins: one vantage point that gets through proves
// the path; a failure needs every view that answered to agree.
func judge(p *PathResult, tls bool, now time.Time) {
	fam := p.Family.Name()
	var best *portprobe.Result
	var errs []View
	for i := range p.Views {
		v := &p.Views[i]
		if v.Result == nil {
			errs = append(errs, *v)
			continue
		}
		if best == nil || rank(v.Result) > rank(best) {
			best = v.Result
		}
	}
	if best == nil {
		p.Status = Fail
		if len(errs) == 0 {
			p.Status = Skip
			p.Cause = msg.T("not checked: no vantage point for %s (add check.probers: a probe-serve outside)",
				"未確認: %s を外から見る場所がありません (check.probers に probe-serve を追加してください)", fam)
			return
		}
		for _, e := range errs {
			if e.NotChecked {
				p.Cause = msg.T("not checked over %s: %s", "%s で確認できません: %s", fam, msg.CodeText(e.ErrorCode, e.Error))
				return
			}
		}
		p.Cause = msg.T("no prober answered over %s (%s): is the server's %s working?",
			"%s でどの probe-serve も応答しません (%s)。サーバーの %s は使えていますか?", fam, msg.CodeText(errs[0].ErrorCode, errs[0].Error), fam)
		return
	}
	switch best.State {
	case portprobe.Filtered:
		p.Status = Fail
		if p.Family == IPv6 {
			p.Cause = msg.T("%s port %d filtered before reaching the server: the router's IPv6 filter?",
				"%s のポート %d はサーバーに届く前に遮断されています。ルーターの IPv6 フィルタでは?", fam, p.Port)
		} else {
			p.Cause = msg.T("%s port %d filtered before reaching the server: the ISP blocks it, or dualpath's firewall does not open it (expose.tcp)?",
				"%s のポート %d はサーバーに届く前に遮断されています。ISP が止めているか、dualpath のファイアウォールで開いていない (expose.tcp) のでは?", fam, p.Port)
		}
		return
	case portprobe.Closed:
		p.Status = Fail
		if p.Family == IPv6 {
			p.Cause = msg.T("%s port %d refused by the server: nothing listens on [::]:%d (nginx: `listen [::]:%d;`)?",
				"%s のポート %d はサーバーが拒否しました。[::]:%d で待ち受けていないのでは (nginx: `listen [::]:%d;`)?", fam, p.Port, p.Port, p.Port)
		} else {
			p.Cause = msg.T("%s port %d refused by the server: nothing listens on 0.0.0.0:%d (nginx: `listen %d;`)?",
				"%s のポート %d はサーバーが拒否しました。0.0.0.0:%d で待ち受けていないのでは (nginx: `listen %d;`)?", fam, p.Port, p.Port, p.Port)
		}
		return
	}
	// Open.
	if tls {
		t := best.TLS
		if t == nil || t.Error != "" && t.NotAfter.IsZero() {
			why := msg.T("no TLS", "TLS なし")
			if t != nil {
				why = msg.CodeText(t.ErrorCode, t.Error)
			}
			p.Status = Fail
			p.Cause = msg.T("%s port %d open, but no TLS handshake (%s): does it serve HTTPS?",
				"%s のポート %d は開いていますが、「TLS」のハンドシェイクができません (%s)。HTTPS を提供していますか?", fam, p.Port, why)
			return
		}
		days := int(t.NotAfter.Sub(now).Hours() / 24)
		p.DaysLeft = &days
		switch {
		case !t.Verified:
			p.Status = Fail
			p.Cause = msg.T("%s port %d: certificate not valid for visitors: %s",
				"%s のポート %d: 訪問者から見て証明書が有効ではありません: %s", fam, p.Port, msg.CodeText(t.ErrorCode, t.Error))
			return
		case t.NotAfter.Sub(now) < ExpiryWarning:
			p.Status = Warn
			p.Cause = msg.T("%s port %d answers, but the certificate expires in %d days (%s): renew it",
				"%s のポート %d は応答しますが、証明書はあと %d 日で期限切れです (%s)。更新してください", fam, p.Port, days, t.NotAfter.Format("2006-01-02"))
			return
		}
	}
	if best.HTTPStatus >= 500 {
		p.Status = Fail
		p.Cause = msg.T("%s port %d reached the server, which answers HTTP %d: its backend?",
			"%s のポート %d はサーバーに届きますが、HTTP %d が返ります。バックエンドの問題では?", fam, p.Port, best.HTTPStatus)
		return
	}
	p.Status = OK
	switch {
	case best.HTTPStatus > 0 && p.DaysLeft != nil:
		p.Cause = msg.T("reachable, HTTP %d, certificate valid for %d more days", "到達可能、HTTP %d、証明書はあと %d 日有効", best.HTTPStatus, *p.DaysLeft)
	case best.HTTPStatus > 0:
		p.Cause = msg.T("reachable, HTTP %d", "到達可能、HTTP %d", best.HTTPStatus)
	default:
		p.Cause = msg.T("reachable (TCP open)", "到達可能 (TCP で接続できます)")
	}
}

// rank orders views: open beats closed beats filtered.
func rank(r *portprobe.Result) int {
	switch r.State {
	case portprobe.Open:
		n := 3
		if r.HTTPStatus > 0 && r.HTTPStatus < 500 {
			n++
		}
		if r.TLS != nil && r.TLS.Verified {
			n++
		}
		return n
	case portprobe.Closed:
		return 2
	}
	return 1
}

// judgeDNS compares the authoritative answer with the address the site
// should have.
func judgeDNS(d *DNSResult, name string) {
	rr, what := "A", msg.T("the session address", "セッションのアドレス")
	if d.Family == IPv6 {
		rr, what = "AAAA", msg.T("the server's stable IPv6", "サーバーの固定 IPv6")
	}
	switch {
	case !d.Want.IsValid():
		d.Status = Skip
		d.Cause = msg.T("not checked: dualpath does not know the address %s should be", "未確認: %s のあるべきアドレスが dualpath には分かりません", name)
	case len(d.Got) == 0:
		d.Status = Fail
		d.Cause = msg.T("no %s record at the authoritative servers (%s): has the DDNS update reached them?",
			"権威サーバーに %s レコードがありません (%s)。DNS の更新は届いていますか?", rr, d.Server)
	case len(d.Got) == 1 && d.Got[0] == d.Want:
		d.Status = OK
	case slices.Contains(d.Got, d.Want):
		d.Status = Fail
		d.Cause = msg.T("%s also has %s besides %s (%s): some visitors go to a stale address",
			"%[1]s には %[3]s (%[4]s) の他に %[2]s もあります。一部の訪問者は古いアドレスに向かいます", rr, joinAddrs(others(d.Got, d.Want)), d.Want, what)
	default:
		d.Status = Fail
		d.Cause = msg.T("%s is %s, not %s (%s): the DDNS update has not reached the authoritative servers?",
			"%s は %s で、%s (%s) ではありません。DNS の更新が権威サーバーに届いていないのでは?", rr, joinAddrs(d.Got), d.Want, what)
	}
}

func others(as []netip.Addr, not netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range as {
		if a != not {
			out = append(out, a)
		}
	}
	return out
}
