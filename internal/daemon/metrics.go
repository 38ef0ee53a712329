package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dualpath/dualpath/internal/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metric descriptions. Every value is read from State at scrape time, so the
// metrics and `dualpath status` never disagree.
var (
	descSessionUp = prometheus.NewDesc("dualpath_session_up",
		"1 while the PPPoE session is up, else 0.", nil, nil)
	descReconnects = prometheus.NewDesc("dualpath_session_reconnects_total",
		"Sessions that came up after the first one.", nil, nil)
	descLastUp = prometheus.NewDesc("dualpath_session_last_up_timestamp_seconds",
		"When the PPPoE session last came up (Unix time).", nil, nil)
	descBytes = prometheus.NewDesc("dualpath_session_bytes_total",
		"IP bytes through the PPPoE session, by direction (rx: from the internet, tx: to it).", []string{"direction"}, nil)
	descPackets = prometheus.NewDesc("dualpath_session_packets_total",
		"IP packets through the PPPoE session, by direction.", []string{"direction"}, nil)
	descFirewall = prometheus.NewDesc("dualpath_firewall_active",
		"1 while dualpath's nftables table guards the PPPoE interface.", nil, nil)
	descDNSUpdates = prometheus.NewDesc("dualpath_ddns_updates_total",
		"Successful DNS updates and keepalives, by provider.", []string{"provider"}, nil)
	descDNSFailures = prometheus.NewDesc("dualpath_ddns_failures_total",
		"Failed DNS updates, by provider.", []string{"provider"}, nil)
	descDNSLastSuccess = prometheus.NewDesc("dualpath_ddns_last_success_timestamp_seconds",
		"When a DNS update last succeeded, by provider (Unix time).", []string{"provider"}, nil)
	descBuild = prometheus.NewDesc("dualpath_build_info",
		"Always 1; the version label names the build.", []string{"version"}, nil)
)

type stateCollector struct{ st *State }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSessionUp, descReconnects, descLastUp, descBytes, descPackets,
		descFirewall, descDNSUpdates, descDNSFailures, descDNSLastSuccess, descBuild} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	k := c.st.counters()
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, k.version)
	ch <- prometheus.MustNewConstMetric(descFirewall, prometheus.GaugeValue, b2f(k.firewall))
	if k.sessionConfigured {
		ch <- prometheus.MustNewConstMetric(descSessionUp, prometheus.GaugeValue, b2f(k.up))
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(k.reconnects))
		if !k.lastUp.IsZero() {
			ch <- prometheus.MustNewConstMetric(descLastUp, prometheus.GaugeValue, float64(k.lastUp.Unix()))
		}
	}
	if k.hasTraffic {
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(k.traffic.RxBytes), "rx")
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(k.traffic.TxBytes), "tx")
		ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, float64(k.traffic.RxPackets), "rx")
		ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, float64(k.traffic.TxPackets), "tx")
	}
	for p, v := range k.providers {
		ch <- prometheus.MustNewConstMetric(descDNSUpdates, prometheus.CounterValue, float64(v.updates), p)
		ch <- prometheus.MustNewConstMetric(descDNSFailures, prometheus.CounterValue, float64(v.failures), p)
		if !v.lastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descDNSLastSuccess, prometheus.GaugeValue, float64(v.lastSuccess.Unix()), p)
		}
	}
}

// NewRegistry returns a Prometheus registry with dualpath's metrics (read
// from st) and the Go runtime and process collectors (memory, CPU, fds).
func NewRegistry(st *State) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(stateCollector{st}, reachCollector{st: st, now: time.Now},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
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
func ListenMetrics(addr string, allowRemote bool, reg *prometheus.Registry, log *slog.Logger) (*MetricsServer, error) {
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
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
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
			log.Error("metrics server stopped", "err", err)
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
