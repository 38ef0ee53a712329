package msg

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Errors from below (the kernel, the resolver, TLS, a provider's HTTP
// answer) say what went wrong in English. ErrorText renders such an error
// in both languages: an error that speaks both (msg.Error, any In(Lang)) as
// it is, a well-known one by its kind (errors.Is / errors.As), anything
// else in English in both.
//
// Where an error crosses a process (the status socket, a lab node's
// answer) it travels as its English text and a code (CodeOf): a stable name
// of its kind that the reader turns back into its language (CodeText).

// Codes of well-known errors (CodeOf, CodeText). "http-NNN" is a provider's
// HTTP answer with status NNN.
const (
	CodeRefused         = "refused"          // ECONNREFUSED
	CodeHostUnreachable = "host-unreachable" // EHOSTUNREACH
	CodeNetUnreachable  = "net-unreachable"  // ENETUNREACH
	CodeTimeout         = "timeout"          // ETIMEDOUT, deadlines
	CodeCanceled        = "canceled"         // context.Canceled
	CodePermission      = "permission"       // EPERM, EACCES
	CodeNotExist        = "not-exist"        // ENOENT
	CodeAddrInUse       = "addr-in-use"      // EADDRINUSE
	CodeNoName          = "dns-no-name"      // the name does not exist (NXDOMAIN)
	CodeDNSTimeout      = "dns-timeout"      // no DNS server answered
	CodeDNS             = "dns"              // another resolver failure
	CodeClosed          = "closed"           // io.EOF, the peer closed
	CodeReset           = "reset"            // ECONNRESET, EPIPE
	CodeCertAuthority   = "cert-authority"   // x509: unknown authority
	CodeCertName        = "cert-name"        // x509: the name does not match
	CodeCertExpired     = "cert-expired"     // x509: expired or not yet valid
	CodeTLS             = "tls"              // another TLS failure
)

// codeTexts are the texts of the codes: the well-known errors' here, our
// own kinds' from Register. CodeText and ErrorText read them.
var codeTexts map[string]Text

func init() {
	codeTexts = map[string]Text{
		CodeRefused:         T("connection refused", "接続を拒否されました"),
		CodeHostUnreachable: T("no route to host", "相手までの経路がありません"),
		CodeNetUnreachable:  T("network is unreachable", "ネットワークに届きません"),
		CodeTimeout:         T("timed out", "応答がなく時間切れになりました"),
		CodeCanceled:        T("canceled", "中断しました"),
		CodePermission:      T("permission denied", "権限がありません"),
		CodeNotExist:        T("no such file or directory", "ファイルがありません"),
		CodeAddrInUse:       T("address already in use", "アドレスかポートが既に使われています"),
		CodeNoName:          T("no such host", "DNS にその名前がありません"),
		CodeDNSTimeout:      T("DNS server did not answer", "DNS サーバーが応答しません"),
		CodeDNS:             T("name resolution failed", "名前解決に失敗しました"),
		CodeClosed:          T("connection closed by the peer", "相手が接続を閉じました"),
		CodeReset:           T("connection reset by the peer", "相手が接続を切りました"),
		CodeCertAuthority:   T("certificate signed by an unknown authority", "証明書の発行元を信頼できません"),
		CodeCertName:        T("certificate is not valid for this name", "証明書の名前が接続先と合いません"),
		CodeCertExpired:     T("certificate has expired or is not yet valid", "証明書の有効期限の外です"),
		CodeTLS:             T("TLS handshake failed", "TLS の接続に失敗しました"),
	}
}

// Register gives our own kind of error (a session's end, a provider's
// refusal) its code and its text in both languages. The package that owns
// the kind calls it from an init function; a code is registered once.
func Register(code string, t Text) {
	if _, dup := codeTexts[code]; dup || code == "" || strings.HasPrefix(code, "http-") {
		panic("msg: code registered twice or reserved: " + code)
	}
	codeTexts[code] = t
}

// Coder is an error of our own kind: ErrorCode is its code (registered
// with Register, or a well-known one), "" when it has none.
type Coder interface{ ErrorCode() string }

// CodeOf is the code of err's kind: the first ErrorCode in its chain that
// is not empty, else a well-known kind's, else "". Among the well-known
// kinds the most precise wins: a timeout while resolving is CodeDNSTimeout,
// a certificate error inside TLS is the certificate's.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if c, ok := e.(Coder); ok && c.ErrorCode() != "" {
			return c.ErrorCode()
		}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return CodeNoName
		case dnsErr.IsTimeout:
			return CodeDNSTimeout
		}
		return CodeDNS
	}
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &ua):
		return CodeCertAuthority
	case errors.As(err, &hn):
		return CodeCertName
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return CodeCertExpired
	case errors.As(err, &cv), errors.As(err, &rh), errors.As(err, &alert), errors.As(err, &ci):
		return CodeTLS
	}
	for _, c := range []struct {
		target error
		code   string
	}{
		{syscall.ECONNREFUSED, CodeRefused},
		{syscall.EHOSTUNREACH, CodeHostUnreachable},
		{syscall.ENETUNREACH, CodeNetUnreachable},
		{syscall.ETIMEDOUT, CodeTimeout},
		{os.ErrDeadlineExceeded, CodeTimeout},
		{context.DeadlineExceeded, CodeTimeout},
		{context.Canceled, CodeCanceled},
		{syscall.EPERM, CodePermission},
		{syscall.EACCES, CodePermission},
		{os.ErrPermission, CodePermission},
		{syscall.ENOENT, CodeNotExist},
		{os.ErrNotExist, CodeNotExist},
		{syscall.EADDRINUSE, CodeAddrInUse},
		{syscall.ECONNRESET, CodeReset},
		{syscall.EPIPE, CodeReset},
		{io.EOF, CodeClosed},
		{io.ErrUnexpectedEOF, CodeClosed},
	} {
		if errors.Is(err, c.target) {
			return c.code
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return CodeTimeout
	}
	return ""
}

// HTTPCode is the code of a provider's HTTP answer with status.
func HTTPCode(status int) string { return "http-" + strconv.Itoa(status) }

// httpText says what an HTTP status means to whoever sent the request.
func httpText(status int) Text {
	switch {
	case status == 401:
		return T("HTTP 401: the credentials were refused", "認証を拒否されました（HTTP 401）")
	case status == 403:
		return T("HTTP 403: forbidden", "拒否されました（HTTP 403）")
	case status == 404:
		return T("HTTP 404: not found", "見つかりません（HTTP 404）")
	case status == 429:
		return T("HTTP 429: too many requests", "要求が多すぎると断られました（HTTP 429）")
	case status >= 500:
		return T("HTTP %d: the server failed", "相手のサーバー側の障害です（HTTP %d）", status)
	case status >= 400:
		return T("HTTP %d: the request was refused", "要求を断られました（HTTP %d）", status)
	}
	return T("HTTP %d: unexpected answer", "予期しない応答です（HTTP %d）", status)
}

// CodeText is a well-known error's text from its code, with en (the
// English text that travelled with it) as the English. An unknown or
// empty code is en in both languages.
func CodeText(code, en string) Text {
	if t, ok := codeText(code); ok {
		return Text{EN: en, JA: t.JA}
	}
	return Same(en)
}

// FromWire is an error's text as it travelled (a status's JSON): the
// Japanese that came with it (ja, the sender's fuller words), else its
// code's text when the reader knows the code, else the English.
func FromWire(code, en, ja string) Text {
	if ja != "" {
		return Text{EN: en, JA: ja}
	}
	return CodeText(code, en)
}

func codeText(code string) (Text, bool) {
	if n, ok := strings.CutPrefix(code, "http-"); ok {
		if s, err := strconv.Atoi(n); err == nil && s >= 100 && s < 600 {
			return httpText(s), true
		}
	}
	t, ok := codeTexts[code]
	return t, ok
}

// ErrorText is err in both languages. An error that speaks both (an
// In(Lang) method on err or on an error it wraps) is that text in
// Japanese; a kind with a code (CodeOf) is said in Japanese with where it
// happened (an address, a path, a name) in parentheses; any other error is
// its English text in both. The English is always err.Error().
func ErrorText(err error) Text {
	if err == nil {
		return Text{}
	}
	en := err.Error()
	if _, ok := err.(interface{ In(Lang) string }); !ok {
		if j, ok := err.(interface{ Unwrap() []error }); ok { // errors.Join: each on its line
			var ja []string
			for _, e := range j.Unwrap() {
				ja = append(ja, ErrorText(e).JA)
			}
			return Text{EN: en, JA: strings.Join(ja, "\n")}
		}
	}
	var both interface{ In(Lang) string }
	if errors.As(err, &both) {
		return Text{EN: en, JA: both.In(Japanese)}
	}
	t, ok := codeText(CodeOf(err))
	if !ok {
		return Same(en)
	}
	if w := where(err); w != "" {
		return Text{EN: en, JA: t.JA + "（" + w + "）"}
	}
	return Text{EN: en, JA: t.JA}
}

// where is the address, path or name err happened at, for the Japanese.
func where(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.Name != "" {
		return dnsErr.Name
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path != "" {
		return pe.Path
	}
	return ""
}
