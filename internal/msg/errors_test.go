package msg

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/msg/msgtest"
)

// realErrors are errors as the kernel, the resolver and crypto/x509 give
// them, made here on loopback and in a temporary directory.
func realErrors(t *testing.T) map[string]error {
	t.Helper()
	errs := map[string]error{}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, errs[CodeAddrInUse] = net.Listen("tcp", addr)
	ln.Close()
	_, errs[CodeRefused] = net.Dial("tcp", addr)

	_, errs[CodeNotExist] = os.Open(filepath.Join(t.TempDir(), "missing.yaml"))

	a, b := net.Pipe()
	defer a.Close()
	a.SetReadDeadline(time.Now().Add(-time.Second))
	_, errs[CodeTimeout] = a.Read(make([]byte, 1))
	b.Close()
	c, d := net.Pipe()
	d.Close()
	_, errs[CodeClosed] = c.Read(make([]byte, 1))

	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	errs["ctx-"+CodeTimeout] = fmt.Errorf("waiting for the session: %w", ctx.Err())

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ddns.example"},
		DNSNames: []string{"ddns.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	_, errs[CodeCertAuthority] = cert.Verify(x509.VerifyOptions{})
	errs[CodeCertName] = cert.VerifyHostname("other.example")

	// What the kernel answers on a path with no route, as net gives it.
	errs[CodeHostUnreachable] = &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 80},
		Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
	errs[CodeNoName] = &net.DNSError{Err: "no such host", Name: "ddns.example", IsNotFound: true}
	errs[CodeDNSTimeout] = &net.DNSError{Err: "i/o timeout", Name: "ddns.example", IsTimeout: true}
	errs[CodeReset] = fmt.Errorf("read: %w", syscall.ECONNRESET)
	errs[CodePermission] = fmt.Errorf("open /run/x: %w", syscall.EACCES)
	return errs
}

func TestErrorTextSpeaksJapanese(t *testing.T) {
	for want, err := range realErrors(t) {
		if err == nil {
			t.Fatalf("%s: no error made", want)
		}
		want = strings.TrimPrefix(want, "ctx-")
		if got := CodeOf(err); got != want {
			t.Errorf("CodeOf(%v) = %q, want %q", err, got, want)
		}
		tx := ErrorText(err)
		if tx.EN != err.Error() {
			t.Errorf("English %q is not err.Error() %q", tx.EN, err.Error())
		}
		if !msgtest.HasJapanese(tx.JA) || len(msgtest.ForeignWords(tx.JA)) > 0 {
			t.Errorf("%s: Japanese %q", want, tx.JA)
		}
		if ErrorIn(err, English) != err.Error() || ErrorIn(err, Japanese) != tx.JA {
			t.Errorf("ErrorIn disagrees with ErrorText for %v", err)
		}
		// The same, after a trip as JSON: the code and the English text.
		if ct := CodeText(CodeOf(err), err.Error()); ct.EN != err.Error() || !strings.HasPrefix(tx.JA, ct.JA) {
			t.Errorf("CodeText(%q) = %+v, ErrorText = %+v", CodeOf(err), ct, tx)
		}
	}
	if ja := ErrorText(realErrors(t)[CodeHostUnreachable]).JA; !strings.Contains(ja, "192.0.2.1:80") {
		t.Errorf("where it happened is lost: %q", ja)
	}
}

func TestErrorTextOthers(t *testing.T) {
	both := Err(T("the session ended", "セッションが終わりました"))
	if got := ErrorText(fmt.Errorf("pppoe: %w", both)); got.JA != "セッションが終わりました" || got.EN != "pppoe: the session ended" {
		t.Errorf("a wrapped bilingual error = %+v", got)
	}
	odd := errors.New("something odd")
	if got := ErrorText(odd); got != Same("something odd") || CodeOf(odd) != "" {
		t.Errorf("an unknown error = %+v (code %q)", got, CodeOf(odd))
	}
	if got := CodeText("no-such-code", "as it came"); got != Same("as it came") {
		t.Errorf("an unknown code = %+v", got)
	}
	if got := CodeText(HTTPCode(401), "mydns: HTTP 401"); got.EN != "mydns: HTTP 401" || !strings.Contains(got.JA, "HTTP 401") || !msgtest.HasJapanese(got.JA) {
		t.Errorf("HTTP 401 = %+v", got)
	}
	for _, s := range []int{401, 403, 404, 429, 400, 500, 503, 302} {
		if ja := CodeText(HTTPCode(s), "x").JA; len(msgtest.ForeignWords(ja)) > 0 || !msgtest.HasJapanese(ja) {
			t.Errorf("HTTP %d: %q", s, ja)
		}
	}
	if ErrorText(nil) != (Text{}) || CodeOf(nil) != "" {
		t.Error("nil error is not empty")
	}
	// An error given to T is said in the message's language.
	_, err := os.Open(filepath.Join(t.TempDir(), "x"))
	m := T("cannot read: %v", "読めません: %v", err)
	if m.EN != "cannot read: "+err.Error() || strings.Contains(m.JA, "no such file") {
		t.Errorf("T with an error = %+v", m)
	}
	if _, err := io.ReadFull(strings.NewReader("a"), make([]byte, 2)); CodeOf(err) != CodeClosed {
		t.Errorf("unexpected EOF: %q", CodeOf(err))
	}
}

type coded struct{ code string }

func (c coded) Error() string     { return "the peer ended it" }
func (c coded) ErrorCode() string { return c.code }

func TestRegister(t *testing.T) {
	Register("test-peer-ended", T("the peer ended it", "相手が終わらせました"))
	defer delete(codeTexts, "test-peer-ended")
	err := fmt.Errorf("session: %w", coded{"test-peer-ended"})
	if CodeOf(err) != "test-peer-ended" || ErrorText(err).JA != "相手が終わらせました" {
		t.Errorf("own kind: code %q, text %+v", CodeOf(err), ErrorText(err))
	}
	for _, code := range []string{"test-peer-ended", CodeRefused, "http-500", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) twice or reserved did not panic", code)
				}
			}()
			Register(code, T("x", "エックス"))
		}()
	}
}

func TestErrorfWraps(t *testing.T) {
	_, inner := os.Open(filepath.Join(t.TempDir(), "x"))
	err := Errorf("reading the key: %w", "鍵を読めません: %w", inner)
	if !errors.Is(err, os.ErrNotExist) || CodeOf(err) != CodeNotExist {
		t.Errorf("not wrapped: %v", err)
	}
	if err.Error() != "reading the key: "+inner.Error() || !strings.HasPrefix(ErrorIn(err, Japanese), "鍵を読めません: ファイルがありません（") {
		t.Errorf("texts: %q / %q", err.Error(), ErrorIn(err, Japanese))
	}
	if plain := Errorf("no %s", "%s がありません", "key"); errors.Unwrap(plain) != nil || ErrorIn(plain, Japanese) != "key がありません" {
		t.Errorf("without %%w: %v", plain)
	}
}

// A text that came over the status socket: the Japanese that came with it,
// else the code's Japanese when the reader knows the code, else English.
func TestErrorTextJoined(t *testing.T) {
	a := Err(T("ns1 did not answer", "ns1 が応答しません"))
	_, b := os.Open(filepath.Join(t.TempDir(), "x"))
	j := errors.Join(a, b)
	got := ErrorText(j)
	if got.EN != j.Error() || !strings.HasPrefix(got.JA, "ns1 が応答しません\nファイルがありません（") {
		t.Errorf("joined: %+v", got)
	}
}

func TestFromWire(t *testing.T) {
	if got := FromWire(CodeRefused, "dial: connection refused", ""); got.JA != "接続を拒否されました" || got.EN != "dial: connection refused" {
		t.Errorf("known code: %+v", got)
	}
	if got := FromWire(CodeRefused, "dial: connection refused", "接続を拒否されました（192.0.2.1:443）"); got.JA != "接続を拒否されました（192.0.2.1:443）" {
		t.Errorf("code and Japanese: %+v", got)
	}
	if got := FromWire("", "interface eth9 not found", "インターフェース eth9 が見つかりません"); got.In(Japanese) != "インターフェース eth9 が見つかりません" {
		t.Errorf("no code: %+v", got)
	}
	if got := FromWire("from-a-newer-version", "something new", ""); got.In(Japanese) != "something new" {
		t.Errorf("unknown code, no Japanese: %+v", got)
	}
}
