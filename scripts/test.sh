#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, vet, every test with the
# race detector (namespace tests need root), and the cross-builds for our
# users' machines (linux/386, arm64, armv7).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
GO=$(cat .go-path)
export PATH="$(dirname "$GO"):$PATH"

echo "== gofmt"
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed on: $bad" >&2; exit 1; fi

echo "== go vet"
go vet ./...

# Tests remove their namespaces themselves, even when they fail; if the test
# binary itself is killed (timeout, Ctrl-C) this sweep removes what is left of
# the test namespaces (dpt*: netnstest, dplt*: lab tests) and their processes.
sweep() {
  for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^(dpt|dplt)/ {print $1}'); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap sweep EXIT

echo "== go test -race"
# The real pppd access concentrator must come up here: fail, do not skip.
DUALPATH_UMLAC_REQUIRE=1 go test -race -count=1 -timeout 25m ./...

echo "== cross-builds"
for target in linux/386 linux/arm64 linux/arm/7 linux/amd64; do
  IFS=/ read -r os arch arm <<<"$target"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOARM=${arm:-} go build -trimpath -o /dev/null ./cmd/dualpath
  echo "built $target"
done
echo "== all tests passed"
