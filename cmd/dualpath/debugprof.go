//go:build dualpath_debug

package main

// A debug build (go build -tags dualpath_debug ./cmd/dualpath) of the
// daemon answers SIGUSR2 by writing into $DUALPATH_DEBUG_DIR:
//
//	metrics-before-gc.txt  every runtime/metrics value, as the heap stands
//	heap.pprof             the in-use heap after a GC (go tool pprof)
//	goroutines.txt         every goroutine's stack
//	metrics.txt            runtime/metrics after that GC
//
// DUALPATH_DEBUG_MEMPROFILERATE=1 samples every allocation instead of one
// per 512 KB (the profile's buckets then cost memory themselves). Release
// builds have none of this: the build tag keeps it out, and without it the
// linker leaves memory profiling out of the runtime as well.

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"syscall"
)

func init() {
	dir := os.Getenv("DUALPATH_DEBUG_DIR")
	if dir == "" {
		return
	}
	if r, err := strconv.Atoi(os.Getenv("DUALPATH_DEBUG_MEMPROFILERATE")); err == nil && r > 0 {
		runtime.MemProfileRate = r
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR2)
	go func() {
		for range c {
			write := func(name string, f func(*os.File) error) {
				fh, err := os.Create(filepath.Join(dir, name))
				if err == nil {
					err = f(fh)
					if cerr := fh.Close(); err == nil {
						err = cerr
					}
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "dualpath debug: %s: %v\n", name, err)
				}
			}
			write("metrics-before-gc.txt", writeRuntimeMetrics)
			runtime.GC()
			write("heap.pprof", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
			write("goroutines.txt", func(f *os.File) error { return pprof.Lookup("goroutine").WriteTo(f, 2) })
			write("metrics.txt", writeRuntimeMetrics)
		}
	}()
}

// writeRuntimeMetrics writes every runtime/metrics value as "name value".
func writeRuntimeMetrics(f *os.File) error {
	descs := metrics.All()
	s := make([]metrics.Sample, len(descs))
	for i := range s {
		s[i].Name = descs[i].Name
	}
	metrics.Read(s)
	for _, x := range s {
		var err error
		switch x.Value.Kind() {
		case metrics.KindUint64:
			_, err = fmt.Fprintf(f, "%s %d\n", x.Name, x.Value.Uint64())
		case metrics.KindFloat64:
			_, err = fmt.Fprintf(f, "%s %g\n", x.Name, x.Value.Float64())
		}
		if err != nil {
			return err
		}
	}
	return nil
}
