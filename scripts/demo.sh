#!/usr/bin/env bash
# The main job on its embedded default: builds dualpath and runs the lab demo,
# a whole house (IPoE router with MAP-E, home PC, nginx server holding its own
# PPPoE session) and an ISP, in network namespaces on this machine. Nothing
# outside those namespaces is touched, and everything is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
GO=$(cat .go-path)
mkdir -p bin
CGO_ENABLED=0 "$GO" build -trimpath -o bin/dualpath ./cmd/dualpath
exec bin/dualpath lab demo "$@"
