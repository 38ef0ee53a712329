#!/bin/sh
# Data plane throughput: TCP (iperf3) through TUN <-> PPPoE <-> TUN and through
# TUN <-> IPv4-in-IPv6 <-> TUN (the fixed-IP tunnel) between two
# network namespaces, both directions, next to a plain routed veth baseline
# measured in the same run. Needs root and iperf3; takes about 30 seconds.
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench '^BenchmarkThroughput$' -benchtime 1x ./internal/dataplane/ "$@"
