package ddns

import (
	"context"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
)

// Retry schedules (one owner). A request that never reached the provider
// is retried after 1 s, 2 s, 4 s... at most a minute apart, and the path
// is probed meanwhile (reach.go); the long floors (MyDNS 5 min, the
// exponential backoff to hours, Retry-After) apply only after the provider
// itself answered a failure or asked to wait.
const (
	UnreachableRetryBase = time.Second
	UnreachableRetryMax  = time.Minute
	// ProbeInterval is how often the path to an unreachable provider is
	// probed (a TCP connect, no request) during the first ProbeFastFor of
	// an outage; ProbeSlowInterval after that.
	ProbeInterval     = time.Second
	ProbeFastFor      = 5 * time.Minute
	ProbeSlowInterval = 10 * time.Second
)

// retryState is a record's retry bookkeeping while its provider is
// unreachable (not persisted: a restart simply tries again).
type retryState struct {
	count   int       // consecutive failures that never reached the provider
	since   time.Time // first of them
	probeAt time.Time // next probe of the path; zero = not probing
	sawDown bool      // a probe failed since the last attempt
}

func (s *retryState) unreachableAt(now time.Time) {
	if s.count == 0 {
		s.since = now
	}
	s.count++
	s.probeAt, s.sawDown = now.Add(ProbeInterval), false
}

func (s *retryState) probeInterval(now time.Time) time.Duration {
	if now.Sub(s.since) < ProbeFastFor {
		return ProbeInterval
	}
	return ProbeSlowInterval
}

// backoff is how long to wait after err. Unreachable: 1 s * 2^(n-1),
// capped at a minute. Otherwise base * 2^(failures-1), capped, with ±25 %
// jitter, at least the provider's floor (MyDNS 5 min) and at least the
// provider's Retry-After.
func (u *Updater) backoff(r *record, err error) time.Duration {
	if KindOf(err) == KindUnreachable {
		d := UnreachableRetryBase
		for i := 1; i < r.retry.count && d < UnreachableRetryMax; i++ {
			d *= 2
		}
		return min(d, UnreachableRetryMax)
	}
	d := u.opts.BackoffBase
	for i := 1; i < r.st.Failures && d < u.opts.BackoffMax; i++ {
		d *= 2
	}
	if d > u.opts.BackoffMax {
		d = u.opts.BackoffMax
	}
	d = time.Duration(float64(d) * (0.75 + 0.5*u.opts.Jitter()))
	if d < r.minBackoff {
		d = r.minBackoff
	}
	if ra := RetryAfterOf(err); ra > d {
		d = ra
	}
	return d
}

// mayRetry decides whether up may be sent at now after a failure. Always
// once NextTry has come. Before that: an address different from the one
// that failed goes at once when the provider answered the failure; when
// the provider was unreachable, the path is probed and up goes as soon as
// the path is back (a probe succeeds after one failed) or, for a new
// address, as soon as a probe succeeds.
func (u *Updater) mayRetry(ctx context.Context, r *record, up Update, now time.Time) bool {
	st := r.st
	if st.Failures == 0 || !now.Before(st.NextTry) {
		return true
	}
	newAddr := up.IPv4 != st.FailedIPv4 || up.IPv6 != st.FailedIPv6
	if r.retry.count == 0 || r.retry.probeAt.IsZero() {
		return newAddr && r.retry.count == 0
	}
	if now.Before(r.retry.probeAt) {
		return false
	}
	if err := reach(ctx, reachTargets(r.prov, up)); err != nil {
		r.retry.sawDown = true
		r.retry.probeAt = u.opts.Now().Add(r.retry.probeInterval(now))
		u.log.Debug("ddns provider still unreachable", "record", r.label, "probe", err.Error())
		return false
	}
	if r.retry.sawDown || newAddr {
		msg.LogInfo(u.log, msg.T("ddns provider reachable again: sending now", "DDNS のサービスにまた届くようになったので、今送ります"), "record", r.label)
		return true
	}
	// The path works but the request failed: the schedule decides.
	r.retry.probeAt = time.Time{}
	return false
}
