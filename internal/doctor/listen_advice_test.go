package doctor

import "testing"

func TestNginxListenKeepsSSL(t *testing.T) {
	for _, c := range []struct {
		port uint16
		v6   bool
		want string
	}{{80, false, "listen 80;"}, {80, true, "listen [::]:80;"}, {443, true, "listen [::]:443 ssl;"}, {443, false, "listen 443 ssl;"}} {
		if got := NginxListen(c.port, c.v6); got != c.want {
			t.Errorf("NginxListen(%d, %v) = %q, want %q", c.port, c.v6, got, c.want)
		}
	}
}
