package ddns

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

// Every refusal has a code whose Japanese reads as Japanese, names the
// provider in process, and survives a trip as JSON.
func TestRefusalCodes(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err  *Error
		code string
	}{
		{perr("mydns", KindAuth, "login_status = 0"), "ddns-auth"},
		{perr("cloudflare", KindNoHost, "no zone"), "ddns-nohost"},
		{&Error{Provider: "duckdns", Kind: KindRateLimited, Status: 429}, "ddns-ratelimited"},
		{perr("rfc2136", KindVerify, "answers 192.0.2.1"), "ddns-verify"},
		{&Error{Provider: "dyndns2", Kind: KindTemporary, Status: 503, Msg: "HTTP 503"}, "http-503"},
		{&Error{Provider: "dyndns2", Kind: KindBadRequest, Status: 400, Msg: "HTTP 400"}, "http-400"},
		{perr("dyndns2", KindTemporary, "911: the provider failed"), "ddns-temporary"},
		{perr("dyndns2", KindBadRequest, "a seen record publishes one family only"), "ddns-badrequest"},
		{perr("cloudflare", KindUnreachable, "GET /zones: %v", refused), msg.CodeRefused},
		{perr("cloudflare", KindTemporary, "GET /zones: %v", &Error{Provider: "cloudflare", Status: 502}), "http-502"},
	} {
		if got := c.err.ErrorCode(); got != c.code {
			t.Errorf("%v: code %q, want %q", c.err, got, c.code)
		}
		wrapped := fmt.Errorf("update: %w", c.err)
		ja := msg.ErrorIn(wrapped, msg.Japanese)
		if !strings.HasPrefix(ja, c.err.Provider+": ") || len(msgtest.ForeignWords(ja)) > 0 || !msgtest.HasJapanese(ja) {
			t.Errorf("%v: Japanese %q", c.err, ja)
		}
		if ct := msg.CodeText(msg.CodeOf(wrapped), c.err.Error()); !strings.Contains(ja, ct.JA) || ct.EN != c.err.Error() {
			t.Errorf("%v: after JSON %+v, in process %q", c.err, ct, ja)
		}
	}
}
