#!/bin/sh
# Daemon footprint: resident memory and CPU of `dualpath run` holding an idle
# PPPoE session with a real pppd (User-Mode Linux) for 60 s, next to the same
# daemon without a session measured in the same run. Target: RSS <= 15 MB (amd64), linux/386 beside it.
# Needs root. DUALPATH_BENCH_IDLE=10s shortens the idle period.
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench '^BenchmarkDaemonIdle$' -benchtime 1x -timeout 10m ./internal/daemon/ "$@"
