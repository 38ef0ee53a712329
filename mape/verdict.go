package mape

// WebVerdict says whether a line can serve the web ports over IPv4: 80 and
// 443 are in the port set of a line that does not share its address, and in
// no port set of a shared one under the Japanese rules (PSID offset 4 keeps
// ports below 4096 out of every set).
type WebVerdict struct {
	HTTP, HTTPS bool // port 80 / 443 is the line's
	// Instead is, when not both are, the first range of the line's own
	// ports (the one to tell users), and Ranges how many ranges there are.
	Instead PortRange
	Ranges  int
}

// Both reports whether 80 and 443 can both be served.
func (v WebVerdict) Both() bool { return v.HTTP && v.HTTPS }

// Web is the line's verdict on 80/443.
func (l Line) Web() WebVerdict {
	if !l.Shared() {
		return WebVerdict{HTTP: true, HTTPS: true}
	}
	v := WebVerdict{HTTP: l.HasPort(80), HTTPS: l.HasPort(443)}
	if !v.Both() {
		if rs := l.PortRanges(); len(rs) > 0 {
			v.Instead, v.Ranges = rs[0], len(rs)
		}
	}
	return v
}

// NearestRange returns the range of the line's port set closest to p (the
// range holding p when there is one; the lower one on a tie). ok is false
// when the set is empty (an invalid rule).
func (l Line) NearestRange(p uint16) (r PortRange, ok bool) {
	best := 1 << 20
	for _, pr := range l.PortRanges() {
		d := 0
		switch {
		case p < pr.First:
			d = int(pr.First) - int(p)
		case p > pr.Last:
			d = int(p) - int(pr.Last)
		}
		if d < best {
			r, best, ok = pr, d, true
		}
	}
	return r, ok
}
