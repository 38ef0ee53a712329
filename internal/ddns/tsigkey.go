package ddns

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/miekg/dns"

	"github.com/dualpath/dualpath/internal/msg"
)

// TSIGKey is one key of a BIND key file (RFC 8945 TSIG).
type TSIGKey struct {
	Name      string // FQDN with the trailing dot
	Algorithm string // miekg/dns algorithm name, e.g. dns.HmacSHA256
	Secret    string // base64, as in the file
}

var tsigAlgorithms = map[string]string{
	"hmac-md5":                 dns.HmacMD5,
	"hmac-md5.sig-alg.reg.int": dns.HmacMD5,
	"hmac-sha1":                dns.HmacSHA1,
	"hmac-sha224":              dns.HmacSHA224,
	"hmac-sha256":              dns.HmacSHA256,
	"hmac-sha384":              dns.HmacSHA384,
	"hmac-sha512":              dns.HmacSHA512,
}

// LoadTSIGKey reads a BIND key file. Errors name the file, never the secret.
func LoadTSIGKey(path string) (TSIGKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return TSIGKey{}, msg.Errorf("cannot read TSIG key file: %w", "TSIG の鍵のファイルを読めません: %w", err)
	}
	k, err := ParseTSIGKey(b)
	if err != nil {
		return TSIGKey{}, msg.Errorf("%s: %w", "%s: %w", path, err)
	}
	return k, nil
}

// ParseTSIGKey decodes the first key statement of a BIND key file, the format
// tsig-keygen and ddns-confgen write:
//
//	key "name" { algorithm hmac-sha256; secret "base64=="; };
//
// Comments (#, //, /* */) are allowed. Error messages never quote the secret.
func ParseTSIGKey(b []byte) (TSIGKey, error) {
	toks, err := bindTokens(string(b))
	if err != nil {
		return TSIGKey{}, err
	}
	i := 0
	next := func() (string, bool) {
		if i >= len(toks) {
			return "", false
		}
		i++
		return toks[i-1], true
	}
	expect := func(want string) error {
		t, ok := next()
		if !ok {
			return msg.Errorf("unexpected end of file, want %q", "%q の前にファイルが終わっています", want)
		}
		if t != want {
			return msg.Errorf("want %q, found %s", "%q が来るところに %s があります", want, describeToken(t))
		}
		return nil
	}
	for {
		t, ok := next()
		if !ok {
			return TSIGKey{}, msg.Errorf(`no key statement (want: key "name" { algorithm hmac-sha256; secret "..."; };)`, `「key」の文がありません（「key "name" { algorithm hmac-sha256; secret "..."; };」の形で書いてください）`)
		}
		if t == "key" {
			break
		}
	}
	name, ok := next()
	if !ok || name == "{" || name == ";" {
		return TSIGKey{}, msg.Errorf("key statement without a name", "「key」の文に名前がありません")
	}
	if err := expect("{"); err != nil {
		return TSIGKey{}, err
	}
	var k TSIGKey
	k.Name = dns.Fqdn(strings.ToLower(name))
	if _, ok := dns.IsDomainName(k.Name); !ok || !plainName(k.Name) {
		return TSIGKey{}, msg.Errorf("the key name is not a domain name", "鍵の名前がドメイン名ではありません")
	}
	var alg, secret string
	for {
		t, ok := next()
		if !ok {
			return TSIGKey{}, msg.Errorf("unterminated key statement", "「key」の文が閉じていません")
		}
		if t == "}" {
			break
		}
		v, ok := next()
		if !ok || v == ";" || v == "}" {
			return TSIGKey{}, msg.Errorf("%s without a value", "%s に値がありません", describeToken(t))
		}
		if err := expect(";"); err != nil {
			return TSIGKey{}, err
		}
		switch t {
		case "algorithm":
			alg = strings.ToLower(v)
		case "secret":
			secret = v
		default:
			return TSIGKey{}, msg.Errorf("unknown key clause %s: only algorithm and secret are allowed", "「key」の中の %s は使えません。algorithm と secret だけを書いてください", describeToken(t))
		}
	}
	a, ok := tsigAlgorithms[strings.TrimSuffix(alg, ".")]
	if !ok {
		return TSIGKey{}, msg.Errorf("algorithm not supported: use hmac-sha256 (or hmac-sha1/224/384/512, hmac-md5)", "使えないアルゴリズムです。hmac-sha256（か hmac-sha1/224/384/512、hmac-md5）にしてください")
	}
	if secret == "" {
		return TSIGKey{}, msg.Errorf("key %q has no secret", "鍵 %q に secret がありません", k.Name)
	}
	if _, err := base64.StdEncoding.DecodeString(secret); err != nil {
		return TSIGKey{}, msg.Errorf("key %q: secret is not valid base64", "鍵 %q: secret が正しい base64 ではありません", k.Name)
	}
	k.Algorithm, k.Secret = a, secret
	return k, nil
}

// describeToken names a token for an error without quoting file content
// that might be (part of) the secret: only punctuation and the statement's
// own keywords are shown.
func describeToken(t string) msg.Text {
	switch t {
	case "{", "}", ";", "key", "algorithm", "secret":
		return msg.Same(fmt.Sprintf("%q", t))
	}
	return msg.T("another word", "別の語")
}

// bindTokens splits named.conf syntax into words, quoted strings (unquoted)
// and the punctuation { } ;, dropping comments.
func bindTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || (c == '/' && i+1 < len(s) && s[i+1] == '/'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, msg.Errorf("unterminated /* comment", "「/*」のコメントが閉じていません")
			}
			i += end + 4
		case c == '{' || c == '}' || c == ';':
			toks = append(toks, string(c))
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, msg.Errorf("unterminated string", "文字列が閉じていません")
			}
			toks = append(toks, s[i+1:i+1+end])
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n{};\"#", rune(s[j])) {
				if s[j] == '/' && j+1 < len(s) && (s[j+1] == '/' || s[j+1] == '*') {
					break
				}
				j++
			}
			if j == i {
				j++ // a lone '/'
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

// plainName accepts key names made of letters, digits, '-', '_' and dots,
// as tsig-keygen and ddns-confgen write them (no escapes to misread).
func plainName(n string) bool {
	if n == "." {
		return false
	}
	for _, c := range n {
		ok := c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
