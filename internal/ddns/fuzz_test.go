package ddns

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Every decoder of bytes that come from outside (provider answers, echo
// services, key files) has a fuzz target. Seeds live in testdata/fuzz/.

func FuzzParseMyDNSAnswer(f *testing.F) {
	f.Add([]byte("Login and IP address notify OK.<br>\nlogin_status = 1.<br>\n<DT>REMOTE ADDRESS:</DT><DD>203.0.113.7</DD>"))
	f.Add([]byte("login_status = 0."))
	f.Fuzz(func(t *testing.T, body []byte) {
		a := ParseMyDNSAnswer(body)
		if a.OK && !bytes.Contains(bytes.ToLower(body), []byte("login_status")) &&
			!bytes.Contains(bytes.ToLower(body), []byte("notify ok")) {
			t.Fatalf("OK without a success marker: %q", body)
		}
		if a.Status != "" && a.Status != "1" && a.OK {
			t.Fatalf("OK with login_status %s", a.Status)
		}
		if a.RemoteAddr.IsValid() && a.RemoteAddr.Is4In6() {
			t.Fatalf("mapped address %s", a.RemoteAddr)
		}
	})
}

func FuzzParseDynDNS2Answer(f *testing.F) {
	for _, s := range []string{"good 203.0.113.7", "nochg 203.0.113.7,2001:db8::1", "badauth", "nohost", "911", "abuse", "good"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseDynDNS2Answer(body)
		if err != nil {
			return
		}
		if a.Code == "" || strings.ContainsAny(a.Code, " \t\r\n") {
			t.Fatalf("bad code %q", a.Code)
		}
		if len(a.Addrs) > 0 && a.Code != "good" && a.Code != "nochg" {
			t.Fatalf("addresses with %s", a.Code)
		}
		for _, ip := range a.Addrs {
			if !ip.IsValid() {
				t.Fatal("invalid address")
			}
		}
	})
}

func FuzzParseCloudflareEnvelope(f *testing.F) {
	f.Add([]byte(`{"success":true,"errors":[],"messages":[],"result":[{"id":"z1","name":"example.jp"}]}`))
	f.Add([]byte(`{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"result":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseCloudflareEnvelope(body)
		if err != nil {
			return
		}
		_ = e.errText()
		var recs []CloudflareRecord
		_ = jsonUnmarshal(e.Result, &recs)
	})
}

func FuzzParseDuckDNSAnswer(f *testing.F) {
	for _, s := range []string{"OK", "KO", "OK\n203.0.113.7\n2001:db8::1\nUPDATED", "ok", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseDuckDNSAnswer(body)
		if err != nil {
			return
		}
		first := strings.TrimSpace(strings.Split(strings.TrimSpace(strings.ReplaceAll(string(body), "\r", "")), "\n")[0])
		if a.OK != (first == "OK") {
			t.Fatalf("OK=%v for first line %q", a.OK, first)
		}
	})
}

func FuzzParseTSIGKey(f *testing.F) {
	f.Add([]byte("key \"ddns-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0\";\n};\n"))
	f.Add([]byte("/* c */ key k { algorithm hmac-md5; secret \"\"; }; # x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseTSIGKey(b)
		if err != nil {
			if s := secretIn(b); len(s) >= 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error quotes the secret: %v", err)
			}
			return
		}
		if !strings.HasSuffix(k.Name, ".") || k.Secret == "" || k.Algorithm == "" {
			t.Fatalf("incomplete key %+v", k)
		}
		if _, err := base64.StdEncoding.DecodeString(k.Secret); err != nil {
			t.Fatalf("secret not base64: %v", err)
		}
		// What we parsed, written back in BIND's format, parses the same.
		again, err := ParseTSIGKey([]byte(fmt.Sprintf("key %q { algorithm %s; secret %q; };", k.Name, strings.TrimSuffix(algName(k.Algorithm), "."), k.Secret)))
		if err != nil || again != k {
			t.Fatalf("round trip: %+v -> %+v, %v", k, again, err)
		}
	})
}

func FuzzParseEchoAnswer(f *testing.F) {
	f.Add([]byte("203.0.113.7\n"), false)
	f.Add([]byte("<html>Current IP Address: 198.51.100.4</html>"), false)
	f.Add([]byte("2001:db8::10"), true)
	f.Fuzz(func(t *testing.T, body []byte, v6 bool) {
		a, err := ParseEchoAnswer(body, v6)
		if err != nil {
			return
		}
		if a.Is6() != v6 || a.Is4In6() {
			t.Fatalf("wrong family %s for v6=%v", a, v6)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, s string) {
		if d := ParseRetryAfter(s, time.Unix(1e9, 0)); d < 0 {
			t.Fatalf("negative %v", d)
		}
	})
}

// secretIn returns the token after the first "secret" token, for the leak check.
func secretIn(b []byte) string {
	toks, err := bindTokens(string(b))
	if err != nil {
		return ""
	}
	for i := 0; i+1 < len(toks); i++ {
		if toks[i] == "secret" {
			return toks[i+1]
		}
	}
	return ""
}

func algName(a string) string {
	for name, v := range tsigAlgorithms {
		if v == a && !strings.Contains(name, ".") {
			return name
		}
	}
	return a
}
