#!/usr/bin/env bash
# Benchmarks kharden scan against the parse-only floor on ../shared/corpus and its x10
# and x100 copies, in one run. Results are recorded by hand in docs/benchmarks.md.
#
#   ./hack/bench.sh big [flags]       instead scans single multi-document files made of the corpus
#                                     concatenated, of 13 MB (the corpus x20) and 100 MB, against the floors
#                                     (wall, peak RSS: memory is bounded by a document, not by the file).
#   ./hack/bench.sh cluster [flags]   instead benchmarks `kharden audit cluster` on a real
#                                     kube-apiserver and etcd loaded with 10,000 Deployments and
#                                     1,000 RBAC objects (hack/bench/cluster; flags: -deployments,
#                                     -rbac, -runs...). Builds the Kubernetes binaries on first use.
#   ./hack/bench.sh image [flags]     instead benchmarks `kharden scan image` on a generated OCI layout
#                                     (1 GiB, 50,000 files, 10 gzip layers) against a floor that only
#                                     decompresses and walks every layer's tar, and against Syft
#                                     (hack/bench/image; flags: -files, -bytes, -layers, -runs).
#   ./hack/bench.sh webhook [flags]   instead load-tests `kharden webhook serve` over TLS on 127.0.0.1
#                                     (hack/bench/webhook: fixed rates 500, 2000, 5000/s and saturation,
#                                     then pod creates through a real kube-apiserver with and without
#                                     the webhook; flags: -rates, -duration, -conns, -server-procs, -pin,
#                                     -loadgen-core, -server-godebug, -inprocess, -tick, -trace, -v,
#                                     -hostile (reviews built to exhaust it: latency, answer size,
#                                     the server's peak RSS), -server-memory-limit...; -h lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
# kharden is built as a release is (docs/install.md: static, no cgo). With cgo, the go
# command links libc dynamically, and since Kustomize's plugin loader imports Go's plugin
# package the linker then exports every Go symbol (246,000 in .dynsym and .dynstr, 19 MB):
# a binary 30 MB larger than the released one, with 7 MiB more of it resident in every run.
# Only kharden and the floor are built so; the other tools as the go command chooses.
build() { CGO_ENABLED=0 go build -trimpath "$@"; }
if [ "${1:-}" = webhook ]; then
  shift
  build -o bin/kharden ./cmd/kharden
  go build -trimpath -o bin/webhook-bench ./hack/bench/webhook
  ./hack/k8sbins/build.sh >/dev/null
  # One Go runtime for server and load generator (-inprocess), then the server as its own
  # process, then pod creates through a real API server; see docs/benchmarks.md.
  ./bin/webhook-bench -inprocess -apiserver=false "$@"
  echo
  exec ./bin/webhook-bench "$@"
fi
if [ "${1:-}" = image ]; then
  shift
  build -o bin/kharden ./cmd/kharden
  syft=$(./hack/syft/build.sh)/syft
  go build -trimpath -o bin/image-bench ./hack/bench/image
  exec ./bin/image-bench -syft "$syft" "$@"
fi
if [ "${1:-}" = big ]; then
  shift
  build -o bin/kharden ./cmd/kharden
  build -o bin/floor ./hack/bench/floor
  exec go run ./hack/bench -corpus ../shared/corpus -work .bench -big 13,100 "$@"
fi
if [ "${1:-}" = cluster ]; then
  shift
  build -o bin/kharden ./cmd/kharden
  ./hack/k8sbins/build.sh >/dev/null
  exec go run ./hack/bench/cluster "$@"
fi
build -o bin/kharden ./cmd/kharden
build -o bin/floor ./hack/bench/floor
go run ./hack/bench -corpus ../shared/corpus -work .bench "$@"
# In-process benchmarks of the loader and engine, for profiling (go test -bench).
go test ./internal/scan/ -run '^$' -bench . -benchmem -count 1
