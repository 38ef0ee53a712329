package main

import (
	"errors"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/mape"
)

// mapeInputJA is the Japanese of each mape.InputError kind, formatted with
// the error's Args (the values its English quotes, in the same order).
var mapeInputJA = map[mape.InputErrorKind]string{
	mape.InputEmpty:            "プレフィックスかアドレスが空です。回線の IPv6 プレフィックス（例 2400:4050:1234:5600::/56）かその中のアドレスを指定してください",
	mape.InputPrefixNotIPv6:    "プレフィックス %q: %q は IPv6 アドレスではありません",
	mape.InputPrefixZone:       "プレフィックス %q: プレフィックスにゾーン（%%%s）は付けられません",
	mape.InputPrefixLength:     "プレフィックス %q: 長さ /%s は 0〜128 の数ではありません",
	mape.InputNotIPv6:          "%q は IPv6 のプレフィックスでもアドレスでもありません。例 2400:4050:1234:5600::/56 のように指定してください",
	mape.InputIsIPv4:           "%q は IPv4 のアドレスです。MAP-E は回線の IPv6 プレフィックスかアドレスから計算します",
	mape.InputIsIPv4Mapped:     "%q は IPv4 射影アドレスです。回線の IPv6 プレフィックスかアドレスを指定してください",
	mape.InputIsLinkLocal:      "%q はリンクローカルアドレス（fe80::/10）です。グローバルアドレス（「ip -6 addr show scope global」で確認）を指定してください",
	mape.InputIsLoopback:       "%q はループバックか未指定のアドレスです。回線のグローバルな IPv6 プレフィックスかアドレスを指定してください",
	mape.InputIsMulticast:      "%q はマルチキャストアドレスです。回線のグローバルな IPv6 プレフィックスかアドレスを指定してください",
	mape.InputPrefixTooShort:   "プレフィックス %[1]s はルール %[3]s の利用者プレフィックス /%[2]d より短いです。/%[4]d かその中のアドレスを指定してください",
	mape.InputIIDFormat:        "インターフェース識別子の形式 %q は使えません。draft03 か rfc7597 を指定してください",
	mape.InputRuleIPv6Missing:  "ルールの IPv6 プレフィックスがありません",
	mape.InputRuleIPv6Bad:      "ルールの IPv6 プレフィックス %s は IPv6 のプレフィックスではありません",
	mape.InputRuleIPv6Bits:     "ルールの IPv6 プレフィックス %s は /%d より後ろのビットが立っています（%s の誤りでは？）",
	mape.InputRuleIPv4Missing:  "ルールの IPv4 プレフィックスがありません",
	mape.InputRuleIPv4Bad:      "ルールの IPv4 プレフィックス %s は IPv4 のプレフィックスではありません",
	mape.InputRuleIPv4Bits:     "ルールの IPv4 プレフィックス %s は /%d より後ろのビットが立っています（%s の誤りでは？）",
	mape.InputEALenRange:       "EA ビット長 %d は使えません。0〜48 にしてください",
	mape.InputEALenLong:        "EA ビット長 %d: ルールの IPv6 プレフィックス /%d と EA ビット長で /%d になり、/64 より長くなります",
	mape.InputPSIDOffsetRange:  "PSID のオフセット %d は使えません。0〜15 にしてください",
	mape.InputPSIDTooLong:      "EA ビット長 %d: IPv4 プレフィックス /%d では PSID が %d ビットになります（16 ビットまで）",
	mape.InputPSIDOverflow:     "PSID のオフセット %d: オフセットと PSID の長さ %d の和が 16 ビットを超えます",
	mape.InputBRNotIPv6:        "BR の %s は IPv6 アドレスではありません",
	mape.InputIIDUnknown:       "インターフェース識別子の形式 %d は知らない値です",
	mape.InputRuleFields:       "ルール %[1]q は項目が %[4]d 個です。%[2]s の形（%[3]d 項目）で書いてください",
	mape.InputRuleIPv6Syntax:   "ルールの IPv6 プレフィックス %q は 240b:10::/32 のような IPv6 のプレフィックスではありません",
	mape.InputRuleIPv4Syntax:   "ルールの IPv4 プレフィックス %q は 106.72.0.0/16 のような IPv4 のプレフィックスではありません",
	mape.InputEALenSyntax:      "EA ビット長 %q は数ではありません",
	mape.InputPSIDOffsetSyntax: "PSID のオフセット %q は数ではありません",
	mape.InputBRSyntax:         "BR の %q は IPv6 アドレスではありません",
}

// mapeErrorText is err in both languages: a mape.InputError in Japanese
// from mapeInputJA, anything else as msg.ErrorText words it.
func mapeErrorText(err error) msg.Text {
	var ie *mape.InputError
	if errors.As(err, &ie) && err == error(ie) {
		if ja, ok := mapeInputJA[ie.Kind]; ok {
			return msg.Text{EN: ie.Error(), JA: msg.T(ja, ja, ie.Args...).JA}
		}
	}
	return msg.ErrorText(err)
}
