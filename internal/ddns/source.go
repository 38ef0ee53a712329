package ddns

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
)

var reIPToken = regexp.MustCompile(`[0-9A-Fa-f:.]{2,45}`)

// ParseEchoAnswer finds the address in an echo service's answer: a bare
// address ("203.0.113.7\n"), or the first address-looking token of a short
// text or HTML page ("Current IP Address: 203.0.113.7").
func ParseEchoAnswer(body []byte, v6 bool) (netip.Addr, error) {
	s := strings.TrimSpace(string(body))
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		if a.Is6() != v6 {
			return netip.Addr{}, msg.Err(msg.T("echo answered %s, wrong family", "echo の答えは %s で、アドレスの種類が違います", a))
		}
		return a, nil
	}
	for _, tok := range reIPToken.FindAllString(s, 20) {
		tok = strings.Trim(tok, ".:")
		a, err := netip.ParseAddr(tok)
		if err == nil && a.Unmap().Is6() == v6 && (v6 || a.Is4()) {
			return a.Unmap(), nil
		}
	}
	return netip.Addr{}, msg.Err(msg.T("echo answer has no address: %s", "echo の答えにアドレスがありません: %s", snippet(body)))
}

// echo asks an echo URL which address the request came from, over the
// family's network, bound to local when valid (the PPPoE address, so the
// request leaves by PPPoE).
func echo(ctx context.Context, rawURL string, v6 bool, local netip.Addr) (netip.Addr, error) {
	network := "tcp4"
	if v6 {
		network = "tcp6"
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return netip.Addr{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := newClient(network, local).Do(req)
	if err != nil {
		return netip.Addr{}, netError("echo", u, err)
	}
	defer resp.Body.Close()
	body, _ := readBody(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, httpStatusError("echo", resp, body)
	}
	return ParseEchoAnswer(body, v6)
}
