package lab

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// narrator prints the demo's story in the locale's language, every line
// fitted to Width columns.
type narrator struct {
	w    io.Writer
	lang msg.Lang
}

// say writes one paragraph (a blank line where the text has "\n\n").
func (n narrator) say(t msg.Text) { msg.Printer{W: n.w, Lang: n.lang}.Println(t) }

// checkWhy explains each check in one line, for the demo.
var checkWhy = map[int]msg.Text{
	1: msg.T("the PC's IPv4 goes out by MAP-E: the shared address, one of its 240 ports",
		"PCのIPv4はMAP-E経由: 共有アドレスと自分の240ポートのどれかから見える"),
	2: msg.T("nobody can reach port 80 of a shared MAP-E address: that is the problem",
		"MAP-Eの共有アドレスの80番には誰も届かない: これが問題"),
	3: msg.T("the server's own PPPoE session; DNS: A = its address, AAAA = stable IPv6",
		"サーバー自身のPPPoEセッション。DNSはA=セッションのアドレス、AAAA=固定IPv6"),
	4: msg.T("an IPv4 visitor gets the page through PPPoE, and nginx sees who it was",
		"IPv4の訪問者はPPPoE経由でページを取得し、nginxは本当の相手を記録"),
	5: msg.T("an IPv6 visitor gets the page through IPoE",
		"IPv6の訪問者はIPoE経由でページを取得"),
	6: msg.T("only the configured ports are open on the PPPoE address",
		"PPPoEのアドレスで開いているのは設定したポートだけ"),
	7: msg.T("everything else the server sends over IPv4 still takes the fast MAP-E path",
		"それ以外のサーバーのIPv4通信は速いMAP-Eを使い続ける"),
	8: msg.T("the ISP drops the session: it comes back, DNS follows, the site works again",
		"ISPがセッションを切っても、再接続しDNSも追従してサイトは復活"),
	9: msg.T("'dualpath check' on the server asks probers outside: every exposed port answers on IPv4 and IPv6",
		"サーバーの 'dualpath check' が外の検査役に確認: 公開ポートはIPv4でもIPv6でも応答"),
	10: msg.T("the router drops new inbound IPv6 like a real HGW; only the ports opened for the server pass",
		"ルーターは実際のHGWと同じく外からのIPv6新規接続を破棄。サーバー用に開けたポートだけ通る"),
	11: msg.T("when the ISP dropped the session, the daemon's webhook told a receiver outside (session down, up again)",
		"ISPがセッションを切ったとき、デーモンの通知が外の受け手に届いた（切断と再接続）"),
}

// Demo brings the lab up, runs the checks with a short narrative a newcomer
// can follow, and removes the lab again (also when something fails). lang
// is the locale (see Japanese); every line fits Width columns.
func Demo(ctx context.Context, l *Lab, w io.Writer, lang msg.Lang) (*Report, error) {
	n := narrator{w: w, lang: lang}
	n.intro(l.Prefix, l.Scenario)
	defer func() {
		_ = l.Down()
		n.say(msg.T("\nEverything the demo made is removed again.", "\nデモが作ったものはすべて削除しました。"))
	}()
	n.say(msg.T("Building it:", "組み立て中:"))
	l.log, l.lang = w, n.lang
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		return nil, err
	}
	n.say(msg.T("Built in %.1f s.\n", "%.1f 秒で完成。\n", time.Since(start).Seconds()))
	n.checkList(l.Scenario)
	rep, err := l.Test(ctx)
	if err != nil {
		return nil, err
	}
	rep.Print(w, lang)
	if l.Scenario == ScenarioServerPPPoE || l.Scenario == ScenarioIPIPFixed {
		out, err := l.InCtx(ctx, NodeServer, l.bin, "status", "--socket", filepath.Join(l.Dir, "server-status.sock"))
		if err == nil {
			n.say(msg.T("\nWhat 'dualpath status' says on the server:", "\nサーバーでの 'dualpath status' の表示:"))
			// status already fits its lines to the width: indenting them
			// would break each full one again.
			for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				msg.Fit(w, line)
			}
		}
	}
	n.verdict(rep)
	return rep, nil
}

// intro tells what the demo builds.
func (n narrator) intro(prefix, scenario string) {
	line := RouterLine()
	n.say(msg.T("dualpath lab demo: a house and its ISP, built in network namespaces on this machine "+
		"(names start with %q; nothing outside them is touched, and all is removed at the end).\n",
		"dualpath lab demo: 家とISPを、このマシンのネットワーク名前空間の中に組み立てます"+
			"（名前は %q で始まります。外側には一切触れず、最後にすべて削除します）。\n", prefix))
	house := msg.T("a PC, and a server (nginx) that holds its own PPPoE session through the router's PPPoE passthrough.",
		"PCと、ルーターのPPPoEパススルー越しに自分でPPPoEセッションを張るサーバー（nginx）。")
	if scenario == ScenarioIPIPFixed {
		house = ipipHouse
	}
	if scenario == ScenarioTwoRouters {
		house = msg.T("a second router holding a PPPoE session that forwards 80/443 to the server, a PC, and the server (nginx).",
			"PPPoEセッションを持ち80/443をサーバーへ転送する2台目のルーター、PC、サーバー（nginx）。")
	}
	n.say(msg.T("The house: an IPoE router with MAP-E (shared IPv4 %s, PSID %#x, %d ports, none of them 80 or 443), %s",
		"家: MAP-EのIPoEルーター（共有IPv4 %s、PSID %#x、%dポート、80も443も含まない）、%s",
		line.IPv4, line.PSID, line.PortCount(), house))
	n.say(msg.T("Like NTT's HGW, Buffalo, Aterm and Yamaha routers, the IPoE router drops new inbound IPv6 connections; "+
		"the set-up opens only %s to the server's stable IPv6 address, as the router checklist tells you to.",
		"IPoEルーターはNTTのHGW、Buffalo、Aterm、Yamahaと同じく外からのIPv6の新規接続を破棄します。"+
			"組み立てでは、ルーターのチェックリストどおりサーバーの固定IPv6アドレスへの %s だけを開けます。",
		config.FormatPorts(ExposedTCP)))
	isp := msg.T("The ISP: MAP-E border relay, PPPoE access concentrator, BIND 9 for %s, a MyDNS-compatible service.",
		"ISP: MAP-EのBR、PPPoEアクセスコンセントレーター、%s のBIND 9、MyDNS互換サービス。", strings.TrimSuffix(Zone, "."))
	if scenario == ScenarioIPIPFixed {
		isp = ipipISP()
	}
	n.say(isp)
	n.say(msg.T("Visitors: inet4 (IPv4 only) and inet6 (IPv6 only).\n", "訪問者: inet4（IPv4のみ）とinet6（IPv6のみ）。\n"))
}

// checkList says, in a line each, what the checks show.
func (n narrator) checkList(scenario string) {
	why := checkWhy
	if scenario == ScenarioIPIPFixed {
		why = ipipWhy
	}
	n.say(msg.T("What the checks show:", "確認すること:"))
	for i := 1; i <= len(why); i++ {
		n.say(msg.T("  %d. %s", "  %d. %s", i, why[i]))
	}
	n.say(msg.Text{})
}

// verdict sums the report up.
func (n narrator) verdict(rep *Report) {
	switch {
	case rep.Passed() && rep.Scenario == ScenarioTwoRouters:
		n.say(msg.T("\nThe article's set-up works too, at a price: all of the server's IPv4 goes by PPPoE (check 7 does not apply), "+
			"and after a drop DNS follows only once the server notices that its path through the router broke "+
			"(the A record is what MyDNS sees, 'ipv4: seen'). dualpath alone on the server does better.",
			"\n記事の構成も動きますが代償があります: サーバーのIPv4はすべてPPPoE経由（確認7は対象外）で、"+
				"切断後のDNS更新は、ルーター経由の経路が切れたことにサーバーが気づくまで待ちます"+
				"（AレコードはMyDNSから見えたアドレス、'ipv4: seen'）。dualpath 単体の方が優れています。"))
	case rep.Passed() && rep.Scenario == ScenarioIPIPFixed:
		n.say(ipipVerdict)
	case rep.Passed():
		n.say(msg.T("\nAll checks hold: IPv4 visitors come in by PPPoE, IPv6 visitors by IPoE, the rest stays on MAP-E.",
			"\nすべて成功: IPv4の訪問者はPPPoEから、IPv6の訪問者はIPoEから、それ以外はMAP-Eのまま。"))
	default:
		n.say(msg.T("\nSome checks failed: under each, 'expected' is what should be and 'seen' what was.",
			"\n失敗した確認があります: 各項目の「期待」が本来の姿、「結果」が実際の値です。"))
	}
}
