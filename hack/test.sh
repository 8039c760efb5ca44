#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
# Needs Go and the read-only reference data in ../shared (conformance fixtures, corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/conformance ]; then
  echo "hack/test.sh: ../shared/conformance is missing; the conformance tests need it" >&2
  exit 2
fi

unformatted=$(gofmt -l cmd internal)
if [ -n "$unformatted" ]; then
  echo "gofmt needed:" >&2
  echo "$unformatted" >&2
  exit 1
fi
# internal/testkit/cluster (and the tests that use it) run a real etcd, kube-apiserver and
# kube-controller-manager built from the Go module proxy: build them once per machine (minutes cold,
# nothing when cached).
if [ -z "${KHARDEN_K8SBINS_DIR:-}" ]; then
  KHARDEN_K8SBINS_DIR=$(./hack/k8sbins/build.sh)
  export KHARDEN_K8SBINS_DIR
fi
# The image inventory is cross-checked against Syft (built from the Go module proxy) on an image
# made from a Debian root filesystem (debootstrap from Debian's archive): build both once per
# machine (a few minutes cold, nothing when cached). CI=true makes the cross-check fail without them.
if [ -z "${KHARDEN_SYFT_DIR:-}" ]; then
  KHARDEN_SYFT_DIR=$(./hack/syft/build.sh)
  export KHARDEN_SYFT_DIR
fi
# The vulnerability matcher's Go findings are cross-checked against govulncheck (built from the Go
# module proxy) on real Go binaries: build it once per machine (under a minute cold). CI=true makes
# the cross-check fail without it.
if [ -z "${KHARDEN_GOVULNCHECK_DIR:-}" ]; then
  KHARDEN_GOVULNCHECK_DIR=$(./hack/govulncheck/build.sh)
  export KHARDEN_GOVULNCHECK_DIR
fi
# Signatures, attestations and key files are checked against cosign itself, both ways (built from
# the Go module proxy: ~10 CPU-minutes cold). CI=true makes those tests fail without it.
if [ -z "${KHARDEN_COSIGN_DIR:-}" ]; then
  KHARDEN_COSIGN_DIR=$(./hack/cosign/build.sh)
  export KHARDEN_COSIGN_DIR
fi
if [ -z "${KHARDEN_DEBIAN_ROOTFS:-}" ]; then
  KHARDEN_DEBIAN_ROOTFS=$(./hack/debian-rootfs/build.sh)
  export KHARDEN_DEBIAN_ROOTFS
fi
# The vulnerability database is tested on the real Go vulnerability database (golang.org/x/vulndb,
# from the Go module proxy: a 25 MB download once). CI=true makes those tests fail without it.
if [ -z "${KHARDEN_GOVULNDB:-}" ]; then
  KHARDEN_GOVULNDB=$(./hack/vulndb/fetch.sh)
  export KHARDEN_GOVULNDB
fi
# The syscall-profile tests run real programs under Debian's runc, validate AppArmor profiles with
# apparmor_parser and compare the recorder with strace: install them when missing (apt caches them).
./hack/profile/deps.sh
# The vulnerability matcher's rpm cases are checked against rpm's own version order: install
# Debian's rpm when missing (apt caches it).
./hack/vuln/deps.sh
go vet ./...
go test ./... "$@"
# A short fuzzing run of the loaders on top of the seed corpus that `go test` replays.
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can fail a run with
# "context deadline exceeded" at the deadline on a busy machine, with no crasher
# (golang/go#75804, fixed in Go 1.27). FUZZTIME overrides it (a count "Nx" or a duration).
go test ./internal/source/manifest/ -run '^$' -fuzz '^FuzzLoad$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/manifest/ -run '^$' -fuzz '^FuzzDecodeParity$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/dockerfile/ -run '^$' -fuzz '^FuzzParse$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/admission/ -run '^$' -fuzz '^FuzzDecodeReview$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/kubejson/ -run '^$' -fuzz '^FuzzDecode$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/image/ -run '^$' -fuzz '^FuzzParseDatabases$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/image/ -run '^$' -fuzz '^FuzzRpmHeader$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/image/ -run '^$' -fuzz '^FuzzPythonMetadata$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/image/ -run '^$' -fuzz '^FuzzPackageJSON$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/image/ -run '^$' -fuzz '^FuzzManifest$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/image/ -run '^$' -fuzz '^FuzzLayerWalk$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/vulndb/ -run '^$' -fuzz '^FuzzIndex$' -fuzztime "${FUZZTIME:-20000x}"
go test ./internal/source/vulndb/ -run '^$' -fuzz '^FuzzParseAdvisory$' -fuzztime "${FUZZTIME:-20000x}"
