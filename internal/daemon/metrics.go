package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/dualpath/dualpath/internal/msg"
)

// Registry writes dualpath's metrics, read from State at scrape time (so
// the metrics and `dualpath status` never disagree), and the Go runtime's
// and the process's (memory, CPU, file descriptors, goroutines), in the
// Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). It is
// written by hand: the Prometheus client library and the protobuf code it
// pulls in made the binary 2.4 MB larger and the idle daemon's RSS 2.3 MB
// larger, for ten gauges and counters (bench/daemon-rss.sh).
type Registry struct{ st *State }

// NewRegistry returns the metrics of st and of this process.
func NewRegistry(st *State) *Registry { return &Registry{st: st} }

// metricsContentType is the text exposition format's media type.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// ServeHTTP writes every metric.
func (r *Registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", metricsContentType)
	var b strings.Builder
	r.write(&b)
	_, _ = io.WriteString(w, b.String())
}

// metricWriter collects samples by family (the text format wants each
// family's lines together, HELP and TYPE first) and writes them in the
// order the families were first seen.
type metricWriter struct {
	order []string
	fam   map[string]*strings.Builder
}

func (m *metricWriter) sample(name, typ, help string, v float64, labels ...string) {
	b := m.fam[name]
	if b == nil {
		b = &strings.Builder{}
		m.fam[name] = b
		m.order = append(m.order, name)
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=\"%s\"", labels[i], labelEscaper.Replace(labels[i+1]))
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	b.WriteByte('\n')
}

func (m *metricWriter) flush(w *strings.Builder) {
	for _, name := range m.order {
		w.WriteString(m.fam[name].String())
	}
}

// labelEscaper escapes a label value as the text format requires.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func (r *Registry) write(b *strings.Builder) {
	m := &metricWriter{fam: map[string]*strings.Builder{}}
	defer m.flush(b)
	k := r.st.counters()
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	m.sample("dualpath_build_info", "gauge", "Always 1; the version label names the build.", 1, "version", k.version)
	m.sample("dualpath_firewall_active", "gauge", "1 while dualpath's nftables table guards the session's interface (PPPoE or fixed-IP tunnel).", b2f(k.firewall))
	if k.sessionConfigured {
		m.sample("dualpath_session_up", "gauge", "1 while the PPPoE session is up, else 0.", b2f(k.up))
		m.sample("dualpath_session_reconnects_total", "counter", "Sessions that came up after the first one.", float64(k.reconnects))
		if !k.lastUp.IsZero() {
			m.sample("dualpath_session_last_up_timestamp_seconds", "gauge", "When the PPPoE session last came up (Unix time).", float64(k.lastUp.Unix()))
		}
	}
	if k.hasTraffic {
		const hb = "IP bytes through the session (PPPoE or fixed-IP tunnel), by direction (rx: from the internet, tx: to it)."
		const hp = "IP packets through the session (PPPoE or fixed-IP tunnel), by direction."
		m.sample("dualpath_session_bytes_total", "counter", hb, float64(k.traffic.RxBytes), "direction", "rx")
		m.sample("dualpath_session_bytes_total", "counter", hb, float64(k.traffic.TxBytes), "direction", "tx")
		m.sample("dualpath_session_packets_total", "counter", hp, float64(k.traffic.RxPackets), "direction", "rx")
		m.sample("dualpath_session_packets_total", "counter", hp, float64(k.traffic.TxPackets), "direction", "tx")
	}
	providers := make([]string, 0, len(k.providers))
	for p := range k.providers {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		v := k.providers[p]
		m.sample("dualpath_ddns_updates_total", "counter", "Successful DNS updates and keepalives, by provider.", float64(v.Updates), "provider", p)
		m.sample("dualpath_ddns_failures_total", "counter", "Failed DNS updates, by provider.", float64(v.Failures), "provider", p)
		if !v.LastSuccess.IsZero() {
			m.sample("dualpath_ddns_last_success_timestamp_seconds", "gauge", "When a DNS update last succeeded, by provider (Unix time).", float64(v.LastSuccess.Unix()), "provider", p)
		}
	}
	writeReachMetrics(m, r.st, time.Now())
	writeTunnelMetrics(m, r.st)
	writeRuntimeMetrics(m)
}

// MetricsServer serves /metrics over HTTP.
type MetricsServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// ListenMetrics starts serving reg on addr. A non-loopback address is refused
// unless allowRemote (metrics.allow_remote) is set: the metrics show the
// session address and traffic.
func ListenMetrics(addr string, allowRemote bool, reg *Registry, log *slog.Logger) (*MetricsServer, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen %q: %v", addr, err)
	}
	if !allowRemote && !config.IsLoopbackHost(host) {
		return nil, fmt.Errorf("metrics.listen %s is not a loopback address: set metrics.allow_remote: true to serve metrics there", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %v (is another program using the port? change metrics.listen)", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", reg)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "dualpath: metrics at /metrics")
	})
	m := &MetricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && log != nil {
			msg.LogError(log, msg.T("metrics server stopped", "メトリクスのサーバーが止まりました"), "err", err)
		}
	}()
	return m, nil
}

// Addr is the address actually listened on (useful with port 0).
func (m *MetricsServer) Addr() string { return m.ln.Addr().String() }

// Close stops the server.
func (m *MetricsServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	<-m.done
	return err
}
