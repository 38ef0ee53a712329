package plan

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpath/dualpath/internal/netnstest"
)

func TestMirrorNginx(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
		edits          int
	}{
		{"HTTP only, default_server kept", "server {\n    listen 80 default_server;\n    server_name _;\n}\n",
			"server {\n    listen 80 default_server;\n    listen [::]:80 default_server;\n    server_name _;\n}\n", 1},
		{"TLS with http2 and a trailing comment", "server {\n\tlisten 443 ssl http2; # managed by Certbot\n}\n",
			"server {\n\tlisten 443 ssl http2; # managed by Certbot\n\tlisten [::]:443 ssl http2;\n}\n", 1},
		{"one line", "server { listen 80; return 204; }", "server { listen 80; listen [::]:80; return 204; }", 1},
		{"no newline at the end", "server {\n  listen *:8080;}", "server {\n  listen *:8080; listen [::]:8080;}", 1},
		{"the article's config: both already", "server {\n    listen 80 default_server;       # IPv4\n    listen [::]:80 default_server;  # IPv6\n}\n", "", 0},
		{"one dual-stack socket", "server { listen [::]:80 ipv6only=off; listen 80; }", "", 0},
		{"a specific IPv4 address is left alone", "server { listen 192.168.1.10:80; }", "", 0},
		{"upstream servers are not server blocks", "upstream app { server 127.0.0.1:8080; }\nserver {\n listen 0.0.0.0:80 reuseport ipv6only=on;\n}\n",
			"upstream app { server 127.0.0.1:8080; }\nserver {\n listen 0.0.0.0:80 reuseport ipv6only=on;\n listen [::]:80 reuseport;\n}\n", 1},
		{"two blocks in http, quotes and variables", "http {\n  server {\n    listen 80;\n    return 301 \"https://${host}$request_uri\";\n  }\n  server {\n    listen 443 ssl;\n    listen [::]:443 ssl;\n  }\n}\n",
			"http {\n  server {\n    listen 80;\n    listen [::]:80;\n    return 301 \"https://${host}$request_uri\";\n  }\n  server {\n    listen 443 ssl;\n    listen [::]:443 ssl;\n  }\n}\n", 1},
		{"a comment that looks like a listen", "server {\n  # listen 8080;\n  listen 80;\n}\n", "server {\n  # listen 8080;\n  listen 80;\n  listen [::]:80;\n}\n", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, edits, err := MirrorNginx([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == "" {
				want = c.in
			}
			if string(out) != want || len(edits) != c.edits {
				t.Fatalf("got %d edits:\n%s\nwant:\n%s", len(edits), out, want)
			}
			// Idempotent: the copy needs nothing more.
			if _, again, err := MirrorNginx(out); err != nil || len(again) != 0 {
				t.Fatalf("second pass: %v %v", again, err)
			}
		})
	}
	for _, bad := range []string{"server { listen 80;", "server { listen 80; }}", "server { return 200 \"x; }", "listen 80"} {
		if _, _, err := MirrorNginx([]byte(bad)); !errors.Is(err, ErrNginxUnbalanced) && !errors.Is(err, ErrNginxQuote) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestUnifiedDiffApplies: the diff written beside the copy is one that
// patch(1) applies to the original to give the copy.
func TestUnifiedDiffApplies(t *testing.T) {
	netnstest.RequireCommand(t, "patch")
	src, err := os.ReadFile("testdata/nginx/certbot")
	must(t, err)
	files, edits, err := NginxSite("/etc/nginx/sites-available/certbot", src)
	must(t, err)
	if len(edits) != 2 || edits[0].Line != 7 || edits[0].Added != "listen [::]:443 ssl http2;" || edits[1].Added != "listen [::]:80;" {
		t.Fatalf("edits: %+v", edits)
	}
	if files[0].Name != "nginx-certbot" || files[1].Name != "nginx-certbot.diff" {
		t.Fatalf("names: %s %s", files[0].Name, files[1].Name)
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "certbot")
	must(t, os.WriteFile(orig, src, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "d.diff"), files[1].Content, 0o644))
	if out, err := exec.Command("patch", "-s", orig, filepath.Join(dir, "d.diff")).CombinedOutput(); err != nil {
		t.Fatalf("patch: %v %s\n%s", err, out, files[1].Content)
	}
	got, _ := os.ReadFile(orig)
	if string(got) != string(files[0].Content) {
		t.Fatalf("patched original differs from the copy:\n%s", got)
	}
	if UnifiedDiff("a", "b", src, src) != "" {
		t.Fatal("diff of equal files is not empty")
	}
}

// TestNginxCopiesPassNginxT runs the real nginx on the copies of an
// HTTP-only site and a certbot-style pair (with a self-signed certificate),
// with a private prefix in a namespace: `nginx -t` passes, and nginx started
// there listens on IPv4 and IPv6 for each port. The originals listen on
// IPv4 only, and the old include-everywhere snippet breaks the certbot site.
func TestNginxCopiesPassNginxT(t *testing.T) {
	netnstest.RequireCommand(t, "nginx", "ss")
	ns := netnstest.New(t, "ngx")
	ns.MustRun("ip", "link", "set", "lo", "up")
	dir := t.TempDir()
	writeSelfSigned(t, dir)
	for _, site := range []struct {
		file  string
		ports []string
	}{{"http-only", []string{"80"}}, {"certbot", []string{"80", "443"}}} {
		t.Run(site.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata/nginx", site.file))
			must(t, err)
			src := strings.NewReplacer("ROOT", dir, "CERT", filepath.Join(dir, "cert.pem"), "KEY", filepath.Join(dir, "key.pem")).Replace(string(raw))
			files, edits, err := NginxSite(site.file, []byte(src))
			must(t, err)
			if len(edits) != len(site.ports) {
				t.Fatalf("edits %+v", edits)
			}
			conf := func(name, siteText string) string {
				must(t, os.WriteFile(filepath.Join(dir, name+".site"), []byte(siteText), 0o644))
				c := filepath.Join(dir, name+".conf")
				must(t, os.WriteFile(c, []byte("daemon off;\npid "+dir+"/"+name+".pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n"+
					"  client_body_temp_path "+dir+"/cb; proxy_temp_path "+dir+"/px;\n  fastcgi_temp_path "+dir+"/fc; uwsgi_temp_path "+dir+"/uw; scgi_temp_path "+dir+"/sc;\n"+
					"  include "+filepath.Join(dir, name+".site")+";\n}\n"), 0o644))
				return c
			}
			c := conf(site.file+"-copy", string(files[0].Content))
			if out, err := ns.Run("nginx", "-t", "-c", c, "-p", dir); err != nil || !strings.Contains(out, "test is successful") {
				t.Fatalf("nginx -t on the copy: %v\n%s\n%s", err, out, files[0].Content)
			}
			listening := func(cfg string) string {
				p := ns.Start("nginx", "-c", cfg, "-p", dir)
				defer p.Kill()
				var out string
				netnstest.WaitFor(5*time.Second, func() bool {
					out, _ = ns.Run("ss", "-Hltn")
					return strings.Contains(out, ":"+site.ports[len(site.ports)-1]+" ")
				})
				time.Sleep(200 * time.Millisecond)
				out, _ = ns.Run("ss", "-Hltn")
				return out
			}
			out := listening(c)
			for _, port := range site.ports {
				if !strings.Contains(out, "0.0.0.0:"+port+" ") || !strings.Contains(out, "[::]:"+port+" ") {
					t.Errorf("copy: port %s not on both families:\n%s", port, out)
				}
			}
			// The original listens on IPv4 only (the test can fail).
			out = listening(conf(site.file+"-orig", src))
			if strings.Contains(out, "[::]:"+site.ports[0]+" ") {
				t.Errorf("original already on IPv6?\n%s", out)
			}
		})
	}
	// The old advice, the generic snippet included in every server block,
	// breaks the certbot site: duplicate listen.
	raw, _ := os.ReadFile("testdata/nginx/certbot")
	src := strings.NewReplacer("ROOT", dir, "CERT", filepath.Join(dir, "cert.pem"), "KEY", filepath.Join(dir, "key.pem")).Replace(string(raw))
	src = strings.ReplaceAll(src, "server {\n", "server {\n    include "+dir+"/snippet.conf;\n")
	must(t, os.WriteFile(filepath.Join(dir, "snippet.conf"), []byte("listen 80;\nlisten [::]:80;\nlisten 443 ssl;\nlisten [::]:443 ssl;\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "old.site"), []byte(src), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "old.conf"), []byte("pid "+dir+"/old.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include "+dir+"/old.site;\n}\n"), 0o644))
	if out, err := ns.Run("nginx", "-t", "-c", filepath.Join(dir, "old.conf"), "-p", dir); err == nil || !strings.Contains(out, "duplicate listen") {
		t.Errorf("old snippet in a certbot site: %v\n%s", err, out)
	}
}

func FuzzMirrorNginx(f *testing.F) {
	for _, n := range []string{"http-only", "certbot"} {
		b, err := os.ReadFile(filepath.Join("testdata/nginx", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("server { listen 80; listen [::]:443 ssl; }"))
	f.Fuzz(func(t *testing.T, src []byte) {
		out, edits, err := MirrorNginx(src)
		if err != nil {
			return
		}
		// Only insertions: the original is a subsequence of the copy, and
		// the copy needs nothing more.
		i := 0
		for j := 0; j < len(out) && i < len(src); j++ {
			if out[j] == src[i] {
				i++
			}
		}
		if i != len(src) {
			t.Fatalf("the copy lost bytes of the original")
		}
		if len(edits) == 0 && string(out) != string(src) {
			t.Fatalf("changed without edits")
		}
		if _, again, err := MirrorNginx(out); err != nil || len(again) != 0 {
			t.Fatalf("not idempotent: %v %v\n%q", again, err, out)
		}
		_ = UnifiedDiff("a", "b", src, out)
	})
}
