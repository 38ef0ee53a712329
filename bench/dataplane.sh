#!/bin/sh
# Data plane throughput: TCP (iperf3) through TUN <-> PPPoE <-> TUN between two
# network namespaces, both directions, next to a plain routed veth baseline
# measured in the same run. Needs root and iperf3; takes about 15 seconds.
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench '^BenchmarkThroughput$' -benchtime 1x ./internal/dataplane/ "$@"
