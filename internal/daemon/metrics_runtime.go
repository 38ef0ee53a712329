package daemon

import (
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
)

// The Go runtime's and the process's own metrics, under the names the
// Prometheus client's Go and process collectors use, so dashboards keep
// working: read from runtime/metrics (no stop-the-world ReadMemStats) and
// /proc/self.

var runtimeSamples = []struct {
	metric, name, typ, help string
}{
	{"/memory/classes/heap/objects:bytes", "go_memstats_heap_alloc_bytes", "gauge", "Heap bytes allocated and still in use."},
	{"/memory/classes/total:bytes", "go_memstats_sys_bytes", "gauge", "Bytes obtained from the OS."},
	{"/gc/heap/goal:bytes", "go_gc_heap_goal_bytes", "gauge", "Heap size target for the end of the GC cycle."},
	{"/gc/cycles/total:gc-cycles", "go_gc_cycles_total", "counter", "Completed GC cycles."},
	{"/sched/gomaxprocs:threads", "go_sched_gomaxprocs_threads", "gauge", "GOMAXPROCS."},
}

func writeRuntimeMetrics(m *metricWriter) {
	m.sample("go_goroutines", "gauge", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine()))
	s := make([]metrics.Sample, len(runtimeSamples))
	for i := range s {
		s[i].Name = runtimeSamples[i].metric
	}
	metrics.Read(s)
	for i, r := range runtimeSamples {
		if s[i].Value.Kind() == metrics.KindUint64 {
			m.sample(r.name, r.typ, r.help, float64(s[i].Value.Uint64()))
		}
	}
	writeProcessMetrics(m)
}

// writeProcessMetrics reads /proc/self (Linux; nothing elsewhere).
func writeProcessMetrics(m *metricWriter) {
	page := float64(os.Getpagesize())
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 2 {
			vm, _ := strconv.ParseFloat(f[0], 64)
			rss, _ := strconv.ParseFloat(f[1], 64)
			m.sample("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", vm*page)
			m.sample("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", rss*page)
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
			f := strings.Fields(s[i+2:]) // from field 3 (state) on
			if len(f) > 19 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				m.sample("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", (ut+st)/100)
				if start, err := strconv.ParseFloat(f[19], 64); err == nil {
					if bt := bootTime(); bt > 0 {
						m.sample("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", bt+start/100)
					}
				}
			}
		}
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		m.sample("process_open_fds", "gauge", "Number of open file descriptors.", float64(len(ents)))
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		m.sample("process_max_fds", "gauge", "Maximum number of open file descriptors.", float64(rl.Cur))
	}
}

// bootTime is the btime line of /proc/stat (0 when unknown).
func bootTime() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}
