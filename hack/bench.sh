#!/usr/bin/env bash
# Benchmarks kharden scan against the parse-only floor on ../shared/corpus and its x10
# and x100 copies, in one run. Results are recorded by hand in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -trimpath -o bin/kharden ./cmd/kharden
go build -trimpath -o bin/floor ./hack/bench/floor
go run ./hack/bench -corpus ../shared/corpus -work .bench "$@"
# In-process benchmarks of the loader and engine, for profiling (go test -bench).
go test ./internal/scan/ -run '^$' -bench . -benchmem -count 1
