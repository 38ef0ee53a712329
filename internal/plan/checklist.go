package plan

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

// The router checklist is one template: each step is written once with its
// English and Japanese text side by side (msg.T), and Checklist renders it
// in either language. Vendor menu names are given only where public
// documentation names them:
//
//   - NTT HGW (PR/RT/RX): 「詳細設定」→「IPv6パケットフィルタ設定（IPoE）」,
//     「IPv6セキュリティのレベル」 (PR-S300NE, as users document it).
//   - NEC Aterm: 「詳細設定」→「IPv6パケットフィルタ設定」 (aterm.jp
//     function guide, 8w_m34).
//   - Buffalo: 「IPv6フィルター」, 「PPPoEパススルー」, 「ポート変換」,
//     Internet@Start (the article, WSR-3200AX4S / WHR-1166DHP3 screens).
//   - Yamaha RTX/NVR: `pppoe pass-through member lan1 lan2` (rtpro.yamaha.co.jp
//     docs/pppoe/pppoe_pass_through.html; the models listed there), `ipv6
//     filter` (NVR510/NVR700W command reference 27.7.1).
//   - I-O DATA and others: said generically.

// section is one heading of the checklist and its steps.
type section struct {
	title msg.Text
	steps []step
}

// step is one checkbox, with vendor hints under it.
type step struct {
	text  msg.Text
	hints []msg.Text
}

// portItems is a port list in a sentence: "80, 443", 「80、443」.
func portItems(ps []uint16) msg.Text {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(int(p))
	}
	return msg.Items(s)
}

// checklist is the template: the sections for p's mode.
func checklist(p *Plan) []section {
	tcp, udp := portItems(p.TCP), portItems(p.UDP)
	pool := msg.T("(not given)", "（未指定）")
	if p.HasDHCPRange() {
		pool = msg.Same(p.DHCPFirst.String() + "–" + p.DHCPLast.String())
	}
	two := p.Mode == ModeTwoRouters

	facts := section{title: msg.T("Facts to know first", "先に知っておくこと"), steps: []step{
		{text: msg.T("One PPPoE session per ISP account: while one device is logged in with the account, a second login with it fails (or drops the first).",
			"PPPoE のセッションはプロバイダのアカウント1つにつき1本です。あるアカウントで接続中の機器があると、同じアカウントでの2本目の接続は失敗します（または1本目が切れます）。")},
		{text: msg.T("FLET'S allows two PPPoE sessions per line: a second session at the same time needs a second account (a second ISP contract or an extra-session option).",
			"フレッツは1回線で PPPoE を2セッションまで張れます。同時に2本目を張るには、2つ目のアカウント（別のプロバイダ契約か追加セッションのオプション）が必要です。")},
		{text: msg.T("MAP-E limits only IPv4 ports. Over IPv6 the server is reachable on any port, but only once the IPoE router's IPv6 filter lets the connection in (below).",
			"MAP-E が制限するのは IPv4 のポートだけです。IPv6 ではどのポートでも届きますが、IPoE ルータの IPv6 フィルタが通した場合に限ります（下記）。")},
	}}

	ipoe := section{title: msg.T("IPoE router (%s)", "IPoE ルータ（%s）", p.IPoERouter), steps: []step{
		{text: msg.T("DHCP server on here and only here (pool %s).", "DHCP サーバはこのルータだけで ON にします（配布範囲 %s）。", pool)},
		{text: msg.T("The router's own address is %s.", "ルータ自身のアドレスを %s にします。", p.IPoERouter)},
		{text: msg.T("Reserve %s for the server (manual assignment), outside the pool.", "サーバ %s を手動割り当て（予約）にし、配布範囲の外に置きます。", p.Server)},
		{text: msg.T("PPPoE passthrough on, so that PPPoE from the LAN reaches the line.",
			"PPPoE パススルーを ON にし、LAN からの PPPoE が回線まで届くようにします。"),
			hints: []msg.Text{
				msg.T("Buffalo: 「PPPoEパススルー」.", "バッファロー: 「PPPoEパススルー」。"),
				msg.T("Yamaha RTX/NVR: `pppoe pass-through member lan1 lan2` (LAN and WAN ports).", "ヤマハ「RTX」「NVR」: `pppoe pass-through member lan1 lan2`（LAN 側と WAN 側のポート）。"),
				msg.T("Others (NTT HGW, NEC Aterm, I-O DATA): the PPPoE passthrough or PPPoE bridge setting; the name differs by model.",
					"ほかの機種（NTT ホームゲートウェイ、「NEC Aterm」、アイ・オー・データ）: PPPoE パススルー（ブリッジ）の設定です。名前は機種によって違います。"),
			}},
		{text: msg.T("IPv6 filter: allow new inbound connections to TCP %s on the server's stable IPv6 address only (not the whole LAN, not every port). The routers drop inbound IPv6 by default; without this step IPv6 visitors get nothing.",
			"IPv6 フィルタ: サーバの固定的な IPv6 アドレスの TCP %s への新しい接続だけを通します（LAN 全体や全ポートは開けません）。ルータは外からの IPv6 を初期設定で遮断するため、これがないと IPv6 の訪問者に届きません。", tcp),
			hints: []msg.Text{
				msg.T("The address: `dualpath doctor` shows it under host.ipv6-address (not a temporary one).", "アドレスは `dualpath doctor` の host.ipv6-address に出ます（一時アドレスではないもの）。"),
				msg.T("NTT HGW (PR/RT/RX series): 「詳細設定」 → 「IPv6パケットフィルタ設定（IPoE）」; add a pass entry per port; keep 「IPv6セキュリティのレベル」 as it is.",
					"NTT ホームゲートウェイ（「PR」「RT」「RX」系）: 「詳細設定」→「IPv6パケットフィルタ設定（IPoE）」でポートごとに通過のエントリを追加します。「IPv6セキュリティのレベル」は変えません。"),
				msg.T("NEC Aterm: 「詳細設定」 → 「IPv6パケットフィルタ設定」, interface WAN.", "「NEC Aterm」: 「詳細設定」→「IPv6パケットフィルタ設定」で対象インタフェースを WAN にします。"),
				msg.T("Buffalo: 「IPv6フィルター」 (the article opened 80/443 to the server there).", "バッファロー: 「IPv6フィルター」（記事の筆者もここで 80/443 をサーバに開けました）。"),
				msg.T("Yamaha RTX/NVR: `ipv6 filter N pass * SERVER tcp * PORT`, added to the WAN interface's `ipv6 ... secure filter in` list.",
					"ヤマハ「RTX」「NVR」: `ipv6 filter N pass * SERVER tcp * PORT` を WAN 側の `ipv6 ... secure filter in` の一覧に加えます。"),
				msg.T("I-O DATA and others: the IPv6 filter or IPv6 firewall page.", "アイ・オー・データほか: IPv6 フィルタ（IPv6 ファイアウォール）の画面です。"),
			}},
	}}
	if !udp.IsZero() {
		ipoe.steps[len(ipoe.steps)-1].hints = append(ipoe.steps[len(ipoe.steps)-1].hints,
			msg.T("And UDP %s the same way.", "UDP %s も同じように通します。", udp))
	}
	if p.TunnelBR.IsValid() {
		ipoe.steps = append(ipoe.steps, step{text: msg.T("IPv6 filter, for the fixed-IP tunnel: let IPv6 packets with next header 4 (IPv4-in-IPv6, \"IPIP\") from the BR %s in to the server; without this entry no IPv4 visitor reaches the fixed address.",
			"IPv6 フィルタ（固定 IP トンネル用）: BR %s からの次ヘッダー 4（IPv4-in-IPv6、「IPIP」）の IPv6 パケットをサーバへ通します。これがないと IPv4 の訪問者は固定アドレスに届きません。", p.TunnelBR),
			hints: []msg.Text{msg.T("`dualpath doctor --config FILE` says whether the tunnel answers (line.inbound-ipv4).",
				"トンネルが応答するかは `dualpath doctor --config FILE` が示します（line.inbound-ipv4）。")}})
	}

	var sections []section
	sections = append(sections, facts, ipoe)
	if two {
		pppoe := section{title: msg.T("PPPoE router (%s)", "PPPoE ルータ（%s）", p.PPPoERouter), steps: []step{
			{text: msg.T("DHCP server off (two DHCP servers on one LAN hand out clashing addresses).", "DHCP サーバを OFF にします（DHCP が2台あるとアドレスが重複します）。")},
			{text: msg.T("The router's own address is %s: not %s (the IPoE router), not in the pool.", "ルータ自身のアドレスを %s にします（IPoE ルータの %s と重複させず、配布範囲の外に）。", p.PPPoERouter, p.IPoERouter)},
			{text: msg.T("Two cables to the IPoE router: its WAN port to an IPoE router LAN port (PPPoE passes through there), and one of its LAN ports to another IPoE router LAN port, so the server reaches %s on the LAN.",
				"IPoE ルータへのケーブルは2本です。WAN ポートから IPoE ルータの LAN ポートへ（PPPoE はここを通ります）、もう1本は LAN ポートから IPoE ルータの別の LAN ポートへ（サーバが LAN で %s に届くように）。", p.PPPoERouter)},
			{text: msg.T("Connection type PPPoE client, with the ISP account; automatic set-up off, so it does not switch to IPoE by itself.",
				"接続方法は「PPPoEクライアント」にし、プロバイダのアカウントを入れます。自動判別は OFF にし、勝手に IPoE へ切り替わらないようにします。"),
				hints: []msg.Text{msg.T("Buffalo: Internet@Start off (the article did so).", "バッファロー: 「Internet@Start」を OFF にします（記事の筆者もそうしました）。")}},
		}}
		if !tcp.IsZero() {
			pppoe.steps = append(pppoe.steps, step{text: msg.T("Port forwarding: TCP %s to the server %s, same ports.", "ポート変換: TCP %s をサーバ %s の同じポートへ転送します。", tcp, p.Server),
				hints: []msg.Text{
					msg.T("Buffalo: 「ポート変換」.", "バッファロー: 「ポート変換」。"),
					msg.T("Others: port forwarding, port mapping or static NAPT (static IP masquerade).", "ほかの機種: ポートフォワーディング、ポートマッピング、静的 NAPT（静的 IP マスカレード）などの名前です。"),
				}})
		}
		if !udp.IsZero() {
			pppoe.steps = append(pppoe.steps, step{text: msg.T("Port forwarding: UDP %s to the server %s, same ports.", "ポート変換: UDP %s をサーバ %s の同じポートへ転送します。", udp, p.Server)})
		}
		server := section{title: msg.T("Server", "サーバ"), steps: []step{
			{text: msg.T("Install %s (IPv4 default route via %s, IPv6 via the IPoE router); `dualpath plan --netplan-dir /etc/netplan` names the old files to move away.",
				"%s を入れます（IPv4 の既定経路は %s、IPv6 は IPoE ルータ）。移すべき古いファイルは `dualpath plan --netplan-dir /etc/netplan` が示します。", NetplanFile, p.PPPoERouter)},
			{text: msg.T("Retire the cron job (wget --bind-address to ipv4.mydns.jp, and ipv6.mydns.jp): give the ddns: entry `ipv4: seen` and `ipv6: interface:%s`, and run `dualpath ddns --config FILE`; the provider records the address the request arrives from, through the PPPoE router.",
				"`cron` のジョブ（ipv4.mydns.jp への `wget --bind-address` と ipv6.mydns.jp）をやめます。ddns: に `ipv4: seen` と `ipv6: interface:%s` を書き、`dualpath ddns --config FILE` を動かします。通知は PPPoE ルータを通り、プロバイダは届いた送信元のアドレスを登録します。", p.Interface)},
			{text: msg.T("Do not run `dualpath run` with the PPPoE router's account as well: one session per account.",
				"PPPoE ルータと同じアカウントで `dualpath run` を動かさないでください。セッションはアカウント1つにつき1本です。")},
		}}
		sections = append(sections, pppoe, server)
	} else {
		server := section{title: msg.T("Server (dualpath)", "サーバ（dualpath）"), steps: []step{
			{text: msg.T("No second router: `dualpath run` holds the PPPoE session on the server and opens only TCP %s on it.",
				"2台目のルータは要りません。`dualpath run` がサーバで PPPoE を張り、そこでは TCP %s だけを開けます。", tcp)},
			{text: msg.T("If the server runs its own firewall (ufw), allow the ports on the PPPoE interface too, e.g. `ufw allow in on %s to any port %d proto tcp`; `dualpath doctor` checks it (host.firewall).",
				"サーバ自身のファイアウォール（`ufw`）を使っているなら、PPPoE のインターフェースでもポートを許可します。例: `ufw allow in on %s to any port %d proto tcp`。`dualpath doctor` が確かめます（host.firewall）。", p.TUN, firstPort(p.TCP))},
		}}
		migrate := section{title: msg.T("Coming from two routers and a cron job (the article's house)", "ルータ2台と `cron` の構成から移るとき（記事の家）"), steps: []step{
			{text: msg.T("Keep the IPoE router (the new one, with PPPoE passthrough). Retire the PPPoE router: it logs in with the same ISP account, and only one session per account can be up.",
				"IPoE ルータ（新しい方、PPPoE パススルーあり）を残します。PPPoE ルータは外します。同じプロバイダのアカウントで接続するため、セッションが1本しか張れないからです。")},
			{text: msg.T("On the PPPoE router: unplug both cables to the IPoE router, or, to keep it as a Wi-Fi access point, turn its PPPoE connection and DHCP off (access point / bridge mode) and remove the WAN cable.",
				"PPPoE ルータでは: IPoE ルータとの2本のケーブルを外します。無線の親機として残すなら、PPPoE 接続と DHCP を OFF（アクセスポイント／ブリッジモード）にし、WAN のケーブルを外します。")},
			{text: msg.T("On the IPoE router: keep PPPoE passthrough and the IPv6 filter entry; IPv4 port forwarding to the server is no longer needed there.",
				"IPoE ルータでは: PPPoE パススルーと IPv6 フィルタのエントリはそのまま残します。サーバへの IPv4 のポート転送は不要になります。")},
			{text: msg.T("On the server: move the old netplan file away (`dualpath plan --netplan-dir /etc/netplan` names it and its gateway4 line) and install %s: IPv4 now comes from the IPoE router by DHCP.",
				"サーバでは: 古い netplan のファイルを移し（`dualpath plan --netplan-dir /etc/netplan` がファイル名と `gateway4` の行を示します）、%s を入れます。IPv4 は IPoE ルータの DHCP から受けます。", NetplanFile)},
			{text: msg.T("Retire the cron job: remove the two wget lines (ipv4.mydns.jp with --bind-address, ipv6.mydns.jp) from the crontab; the ddns: section of dualpath publishes A (the session's address) and AAAA (the stable IPv6 address).",
				"`cron` のジョブをやめます。`crontab` から `wget` の2行（--bind-address 付きの ipv4.mydns.jp と ipv6.mydns.jp）を消します。A（セッションのアドレス）と AAAA（固定的な IPv6 アドレス）は dualpath の ddns: が登録します。")},
		}}
		sections = append(sections, server, migrate)
	}
	return sections
}

func firstPort(ps []uint16) uint16 {
	if len(ps) == 0 {
		return 80
	}
	return ps[0]
}

// Checklist renders the router checklist in Markdown in lang, every line
// within 80 columns.
func Checklist(p *Plan, lang msg.Lang) []byte {
	var b bytes.Buffer
	pr := msg.Printer{W: &b, Lang: lang}
	pr.Println(msg.T("# Router checklist (%s)", "# ルータ設定チェックリスト（%s）", p.Mode))
	b.WriteString("\n")
	head := msg.T("Subnet %s, server %s, IPoE router %s", "サブネット %s、サーバ %s、IPoE ルータ %s", p.Subnet, p.Server, p.IPoERouter)
	if p.PPPoERouter.IsValid() {
		head = msg.Concat(head, msg.T(", PPPoE router %s", "、PPPoE ルータ %s", p.PPPoERouter))
	}
	pr.Println(msg.Concat(head, msg.T(".", "。")))
	for _, s := range checklist(p) {
		fmt.Fprintf(&b, "\n## %s\n\n", s.title.In(lang))
		for _, st := range s.steps {
			pr.Hanging("- [ ] ", "      ", st.text)
			for _, h := range st.hints {
				pr.Hanging("      - ", "        ", h)
			}
		}
	}
	b.WriteString("\n")
	pr.Println(msg.T("Check with `dualpath doctor --config ...`: duplicate DHCP servers, duplicate addresses, PPPoE reachability, where the default routes point.",
		"`dualpath doctor --config ...` で DHCP の重複、アドレスの重複、PPPoE の到達、既定経路の向きを確かめられます。"))
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

// checklistSteps is every step and hint text of p's checklist in lang, one
// per line (tests).
func checklistSteps(p *Plan, lang msg.Lang) string {
	var out []string
	for _, s := range checklist(p) {
		for _, st := range s.steps {
			out = append(out, st.text.In(lang))
			for _, h := range st.hints {
				out = append(out, h.In(lang))
			}
		}
	}
	return strings.Join(out, "\n")
}
