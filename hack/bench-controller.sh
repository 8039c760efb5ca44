#!/usr/bin/env bash
# Measures kharden controller on 10,000 Deployments (KHARDEN_SCALE to change it) on the
# test API server: the first full set of reports, memory, the time from a change to its
# report under 50 changes a second (KHARDEN_SCALE_RATE), and the API server's own rate
# for the same reports. The controller runs as the kharden binary in its own process,
# so that its memory is its own. Figures in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/kharden ./cmd/kharden
KHARDEN_SCALE="${KHARDEN_SCALE:-10000}" KHARDEN_SCALE_BIN="$PWD/bin/kharden" \
	go test ./internal/controller/ -run '^TestScale$' -v -count=1 -timeout 30m
