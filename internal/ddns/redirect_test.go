package ddns

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// A provider that redirects elsewhere must not receive our credentials there:
// Go would re-send the Authorization header to the same host even over plain
// HTTP, so checkRedirect refuses any change of scheme or host.
func TestRedirectElsewhereIsRefused(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
	}))
	defer other.Close()
	same := 0
	var first *httptest.Server
	first = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/login.html", http.StatusFound)
		case "/here":
			http.Redirect(w, r, first.URL+"/ok", http.StatusFound)
		case "/ok":
			same++
			w.Write([]byte("ok"))
		}
	}))
	defer first.Close()

	c := newClient("tcp4", netip.Addr{})
	req, _ := http.NewRequest("GET", first.URL+"/away", nil)
	req.SetBasicAuth("mydns123456", "s3cret")
	_, err := c.Do(req)
	if err == nil || !strings.Contains(err.Error(), "refused redirect") {
		t.Fatalf("redirect to another host: err %v, want a refusal", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("secret in error: %v", err)
	}
	if leaked.Load() {
		t.Fatal("credentials reached the other host")
	}

	req, _ = http.NewRequest("GET", first.URL+"/here", nil)
	req.SetBasicAuth("mydns123456", "s3cret")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("redirect on the same host: %v", err)
	}
	resp.Body.Close()
	if same != 1 {
		t.Fatalf("same-host redirect not followed")
	}
}
