#!/usr/bin/env bash
# Benchmarks kharden scan against the parse-only floor on ../shared/corpus and its x10
# and x100 copies, in one run. Results are recorded by hand in docs/benchmarks.md.
#
#   ./hack/bench.sh cluster [flags]   instead benchmarks `kharden audit cluster` on a real
#                                     kube-apiserver and etcd loaded with 10,000 Deployments and
#                                     1,000 RBAC objects (hack/bench/cluster; flags: -deployments,
#                                     -rbac, -runs...). Builds the Kubernetes binaries on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = cluster ]; then
  shift
  go build -trimpath -o bin/kharden ./cmd/kharden
  ./hack/k8sbins/build.sh >/dev/null
  exec go run ./hack/bench/cluster "$@"
fi
go build -trimpath -o bin/kharden ./cmd/kharden
go build -trimpath -o bin/floor ./hack/bench/floor
go run ./hack/bench -corpus ../shared/corpus -work .bench "$@"
# In-process benchmarks of the loader and engine, for profiling (go test -bench).
go test ./internal/scan/ -run '^$' -bench . -benchmem -count 1
