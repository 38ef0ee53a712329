package ddns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/hostnet"
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

// Why a source gave nothing to publish reads as Japanese in a Japanese
// locale: the guards, the address choice, a private-only interface.
func TestSourceProblemsInJapanese(t *testing.T) {
	pfx := netip.MustParsePrefix
	temp := hostnet.Addr{Prefix: pfx("2001:db8:1:1:aaaa::1/64"), Flags: hostnet.AddrTemporary, PreferredLft: time.Hour, ValidLft: time.Hour}
	ula := hostnet.Addr{Prefix: pfx("fd00::10/64"), Flags: hostnet.AddrPermanent, PreferredLft: hostnet.AddrForever, ValidLft: hostnet.AddrForever}
	priv := hostnet.Addr{Prefix: pfx("192.168.1.10/24")}
	cg := hostnet.Addr{Prefix: pfx("100.64.1.2/10")}
	_, err6 := ChooseIPv6([]hostnet.Addr{temp, ula}, V6Choice{})
	_, err4 := ChooseIPv4([]hostnet.Addr{priv, cg})
	_, none4 := ChooseIPv4(nil)
	for _, c := range []struct {
		err    error
		en, ja string
	}{
		{err6, "no stable global IPv6 address: skipped [2001:db8:1:1:aaaa::1 (temporary) fd00::10 (ULA (set allow_ula to publish it))]",
			"安定したグローバル IPv6 アドレスがありません。除外したもの: 2001:db8:1:1:aaaa::1（一時アドレス）、fd00::10（ULA（公開するには allow_ula を設定））"},
		{err4, "no publishable IPv4 address: skipped [192.168.1.10 (private address (RFC 1918)) 100.64.1.2 (carrier-grade NAT address (RFC 6598, 100.64/10))]",
			"公開できる IPv4 アドレスがありません。除外したもの: 192.168.1.10（プライベートアドレス（RFC 1918））、100.64.1.2（キャリアグレード NAT のアドレス（RFC 6598、100.64/10））"},
		{none4, "no IPv4 address on the interface", "インターフェースに IPv4 アドレスがありません"},
		{privateOnly("enp1s0", []hostnet.Addr{priv, cg}), "enp1s0 has only 192.168.1.10 (private), 100.64.1.2 (carrier-grade NAT); in two-router mode use `ipv4: seen` (the address MyDNS and others see the request come from)",
			"enp1s0 には 192.168.1.10（プライベート）、100.64.1.2（キャリアグレード NAT）しかありません。ルーター2台の構成では `ipv4: seen`（MyDNS などに見える要求の送り元のアドレス）を使ってください"},
	} {
		if c.err == nil || c.err.Error() != c.en {
			t.Errorf("English %v, want %q", c.err, c.en)
			continue
		}
		ja := msg.ErrorIn(c.err, msg.Japanese)
		if ja != c.ja || len(msgtest.ForeignWords(ja)) > 0 {
			t.Errorf("Japanese %q, want %q (English %q)", ja, c.ja, msgtest.ForeignWords(ja))
		}
	}
	if !errors.Is(privateOnly("enp1s0", []hostnet.Addr{priv}), ErrNotPublishable) {
		t.Error("a private-only interface is not a refusal")
	}
}
