package session

import (
	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/ppp"
	"github.com/dualpath/dualpath/pppoe"
)

// Why a session ended, as a code (Event.Code, the status's
// last_error_code) with its text in both languages: the reader of
// `dualpath status` turns the code back into its language, the English
// Reason travels beside it. The codes are "session-" and the cause's name,
// finer for authentication (the method) and discovery (what was missing).
var codeTexts = map[string]msg.Text{
	"session-auth": msg.T("authentication failed: check pppoe.username and pppoe.password_file",
		"認証に失敗しました。pppoe.username と pppoe.password_file の中身を確認してください"),
	"session-auth-pap": msg.T("PAP authentication failed: check pppoe.username and pppoe.password_file",
		"PAP の認証に失敗しました。pppoe.username と pppoe.password_file の中身を確認してください"),
	"session-auth-chap": msg.T("CHAP authentication failed: check pppoe.username and pppoe.password_file",
		"CHAP の認証に失敗しました。pppoe.username と pppoe.password_file の中身を確認してください"),
	"session-no-offer": msg.T("no PPPoE access concentrator answered: is PPPoE passthrough enabled on the router?",
		"PPPoE の接続先（ISP 側の AC）が応答しません。ルーターの PPPoE パススルーが有効か確認してください"),
	"session-offer-mismatch": msg.T("PPPoE offers came but none matched the requested AC name or service",
		"PPPoE の応答はありましたが、指定した AC 名かサービス名に合うものがありません"),
	"session-no-pads": msg.T("the access concentrator did not confirm the session (no PADS)",
		"ISP 側の AC がセッションを確定しませんでした（PADS なし）"),
	"session-refused": msg.T("the access concentrator refused the session",
		"ISP 側の AC がセッションを拒否しました"),
	"session-discovery": msg.T("PPPoE discovery failed", "PPPoE の接続先探しに失敗しました"),
	"session-padt": msg.T("PADT from the access concentrator",
		"ISP 側の AC が PADT でセッションを終えました"),
	"session-silent": msg.T("the access concentrator stopped answering (LCP echo)",
		"ISP 側の AC が LCP エコーに応答しなくなりました"),
	"session-link-down": msg.T("PPP link down", "PPP のリンクが切れました"),
	"session-host": msg.T("configuring the host or the data plane failed",
		"ホストかデータ転送部の設定に失敗しました"),
	"session-data-plane": msg.T("the data plane stopped: the TUN or the socket was closed or removed",
		"TUN かソケットが閉じられたか削除されたため、データ転送部が止まりました"),
	"session-shutdown": msg.T("shutting down", "停止中です"),
}

func init() {
	for code, t := range codeTexts {
		msg.Register(code, t)
	}
}

// code is the outcome's code: the cause's, finer where the outcome knows
// more.
func (o outcome) code() string {
	switch o.cause {
	case CauseNone:
		return ""
	case CauseAuth:
		switch o.method {
		case ppp.AuthPAP:
			return "session-auth-pap"
		case ppp.AuthCHAP:
			return "session-auth-chap"
		}
	case CauseDiscovery:
		if o.discovery != "" {
			return o.discovery
		}
	}
	return "session-" + o.cause.String()
}

// hostErr is the error from below of a CauseHost outcome (nil for others).
func (o outcome) hostErr() error {
	if o.cause == CauseHost {
		return o.err
	}
	return nil
}

// discoveryCode is the code of a failed discovery (discoveryFailure says
// it in English).
func discoveryCode(ev pppoe.Event) string {
	switch ev.Reason {
	case pppoe.FailNoOffer:
		if ev.Err == nil && ev.Offers > 0 {
			return "session-offer-mismatch"
		}
		if ev.Err == nil {
			return "session-no-offer"
		}
	case pppoe.FailNoPADS:
		return "session-no-pads"
	case pppoe.FailRefused:
		return "session-refused"
	}
	return "session-discovery"
}

// EndError is why Run gave up: Reason in English, Code for msg.CodeText.
type EndError struct {
	Reason string
	Code   string
}

func (e *EndError) Error() string { return e.Reason }

// ErrorCode is the code of why (msg.Coder).
func (e *EndError) ErrorCode() string { return e.Code }
