package ddns

import (
	"errors"

	"github.com/dualpath/dualpath/internal/msg"
)

// A provider's refusal as a code (msg.Coder; the status's
// last_error_code) with its text in both languages: the kind's when it
// says what to do, else the HTTP status's or the transport error's.
var codeTexts = map[string]msg.Text{
	"ddns-auth": msg.T("credentials rejected: check the username and the password/token file",
		"認証情報を拒否されました。ユーザー名とパスワード（トークン）のファイルを確認してください"),
	"ddns-nohost": msg.T("the name is not in this account or zone: check name/zone",
		"その名前はこのアカウントかゾーンにありません。`name` と `zone` を確認してください"),
	"ddns-ratelimited": msg.T("the provider refuses updates for a while (too many)",
		"更新が多すぎるとしてプロバイダーにしばらく止められています"),
	"ddns-verify": msg.T("the provider accepted the update but the record does not show it",
		"プロバイダーは受け付けましたが、レコードに反映されていません"),
	"ddns-badrequest": msg.T("the provider did not accept the request",
		"プロバイダーが要求を受け付けませんでした"),
	"ddns-temporary": msg.T("the provider failed for now; it is tried again",
		"プロバイダー側の一時的な障害です。あとで再送します"),
	"ddns-unreachable": msg.T("the request did not reach the provider",
		"要求がプロバイダーに届きません"),
}

func init() {
	for code, t := range codeTexts {
		msg.Register(code, t)
	}
}

// ErrorCode is the refusal's code: its kind's, or for a failure below
// (an HTTP status, a transport error) that failure's.
func (e *Error) ErrorCode() string {
	switch e.Kind {
	case KindAuth:
		return "ddns-auth"
	case KindNoHost:
		return "ddns-nohost"
	case KindRateLimited:
		return "ddns-ratelimited"
	case KindVerify:
		return "ddns-verify"
	}
	if e.Status != 0 {
		return msg.HTTPCode(e.Status)
	}
	if c := msg.CodeOf(e.Err); c != "" {
		return c
	}
	switch e.Kind {
	case KindUnreachable:
		return "ddns-unreachable"
	case KindBadRequest:
		return "ddns-badrequest"
	}
	return "ddns-temporary"
}

// In is the refusal in lang: in Japanese the provider's name and what its
// code says (with where, for a transport error).
func (e *Error) In(lang msg.Lang) string {
	if lang != msg.Japanese {
		return e.Error()
	}
	var inner *Error
	if errors.As(e.Err, &inner) {
		return inner.In(lang)
	}
	code := e.ErrorCode()
	if e.Err != nil && msg.CodeOf(e.Err) == code {
		return e.Provider + ": " + msg.ErrorText(e.Err).JA
	}
	return e.Provider + ": " + msg.CodeText(code, e.Error()).JA
}
