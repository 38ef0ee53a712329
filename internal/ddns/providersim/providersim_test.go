package providersim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, url string, set func(*http.Request)) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The fakes behave as the services document, independent of our client.

func TestMyDNSFake(t *testing.T) {
	m := NewMyDNS(map[string]string{"mydns1": "pw"})
	srv := httptest.NewServer(m)
	defer srv.Close()
	if code, _ := get(t, srv.URL+"/login.html", nil); code != http.StatusUnauthorized {
		t.Fatalf("no credentials: %d, want 401", code)
	}
	code, body := get(t, srv.URL+"/login.html", func(r *http.Request) { r.SetBasicAuth("mydns1", "bad") })
	if code != 200 || strings.Contains(body, "login_status = 1") {
		t.Fatalf("wrong password: %d %q, want 200 without login_status = 1", code, body)
	}
	code, body = get(t, srv.URL+"/login.html", func(r *http.Request) { r.SetBasicAuth("mydns1", "pw") })
	if code != 200 || !strings.Contains(body, "login_status = 1") || !strings.Contains(body, "127.0.0.1") {
		t.Fatalf("login: %d %q", code, body)
	}
	if r := m.Record("mydns1"); r.IPv4.String() != "127.0.0.1" || r.Notifies != 1 {
		t.Fatalf("record %+v: want the source address", r)
	}
}

func TestDuckDNSFake(t *testing.T) {
	d := NewDuckDNS("tok", "home")
	srv := httptest.NewServer(d)
	defer srv.Close()
	if _, body := get(t, srv.URL+"/update?domains=home&token=bad", nil); body != "KO" {
		t.Fatalf("bad token: %q", body)
	}
	if _, body := get(t, srv.URL+"/update?domains=home&token=tok", nil); body != "OK" {
		t.Fatalf("update: %q", body)
	}
	if r := d.Record("home"); r.IPv4.String() != "127.0.0.1" {
		t.Fatalf("missing ip= must take the source address, got %v", r.IPv4)
	}
	if _, body := get(t, srv.URL+"/update?domains=home&token=tok&ip=203.0.113.7&verbose=true", nil); body != "OK\n203.0.113.7\n\nUPDATED" {
		t.Fatalf("verbose: %q", body)
	}
}

func TestDynDNS2Fake(t *testing.T) {
	d := NewDynDNS2("u", "p", "h.example.net")
	srv := httptest.NewServer(d)
	defer srv.Close()
	auth := func(r *http.Request) { r.SetBasicAuth("u", "p") }
	if _, body := get(t, srv.URL+"/nic/update?hostname=h.example.net", func(r *http.Request) { auth(r); r.Header.Set("User-Agent", "") }); body != "badagent" {
		t.Fatalf("no agent: %q", body)
	}
	for _, c := range []struct{ q, want string }{
		{"hostname=h.example.net&myip=203.0.113.7", "good 203.0.113.7"},
		{"hostname=h.example.net&myip=203.0.113.7", "nochg 203.0.113.7"},
		{"hostname=x.example.net&myip=203.0.113.7", "nohost"},
		{"hostname=h&myip=203.0.113.7", "notfqdn"},
	} {
		if _, body := get(t, srv.URL+"/nic/update?"+c.q, auth); body != c.want {
			t.Errorf("%s: %q, want %q", c.q, body, c.want)
		}
	}
	if _, body := get(t, srv.URL+"/nic/update?hostname=h.example.net", func(r *http.Request) { r.SetBasicAuth("u", "x") }); body != "badauth" {
		t.Fatalf("bad password: %q", body)
	}
}

func TestCloudflareFake(t *testing.T) {
	c := NewCloudflare("tok", map[string]string{"example.jp": "z1"})
	srv := httptest.NewServer(c)
	defer srv.Close()
	code, body := get(t, srv.URL+"/zones?name=example.jp", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") })
	var env struct {
		Success bool
		Errors  []struct{ Code int }
	}
	_ = json.Unmarshal([]byte(body), &env)
	if code != 403 || env.Success || len(env.Errors) != 1 || env.Errors[0].Code != 10000 {
		t.Fatalf("bad token: %d %s", code, body)
	}
	code, body = get(t, srv.URL+"/zones?name=example.jp", func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") })
	if code != 200 || !strings.Contains(body, `"id":"z1"`) {
		t.Fatalf("zones: %d %s", code, body)
	}
}
