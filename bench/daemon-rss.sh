#!/bin/sh
# Daemon footprint: resident memory and CPU of `dualpath run` holding an idle
# PPPoE session with a real pppd (User-Mode Linux) for 60 s, next to the same
# daemon without a session measured in the same run. Target: RSS <= 15 MB (amd64), linux/386 beside it.
# Needs root. DUALPATH_BENCH_IDLE=10s shortens the idle period.
# Where the memory goes: DUALPATH_BENCH_DUMP=dir keeps each daemon's smaps,
# status and resident binary pages (see dumpMemory in the benchmark); a build
# with -tags dualpath_debug writes a heap profile, goroutines and
# runtime/metrics on SIGUSR2 (cmd/dualpath/debugprof.go).
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench '^BenchmarkDaemonIdle$' -benchtime 1x -timeout 10m ./internal/daemon/ "$@"
