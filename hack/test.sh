#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script).
# Needs Go and the read-only reference data in ../shared (conformance fixtures, corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/conformance ]; then
  echo "hack/test.sh: ../shared/conformance is missing; the conformance tests need it" >&2
  exit 2
fi

# step NAME CMD...: runs CMD, saying on stderr what it does and how long it took (the first
# run on a machine builds reference tools for minutes; later runs take them from caches).
step() {
  local name=$1 start=$SECONDS
  shift
  echo "hack/test.sh: $name..." >&2
  "$@"
  echo "hack/test.sh: $name: $((SECONDS - start)) s" >&2
}
# stepvar VAR NAME CMD...: step, keeping CMD's output (a directory) in VAR, exported.
stepvar() {
  local var=$1 name=$2 start=$SECONDS out
  shift 2
  echo "hack/test.sh: $name..." >&2
  out=$("$@")
  export "$var=$out"
  echo "hack/test.sh: $name: $((SECONDS - start)) s ($out)" >&2
}

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
  stepvar KHARDEN_K8SBINS_DIR "etcd, kube-apiserver and kube-controller-manager" ./hack/k8sbins/build.sh
fi
# The image inventory is cross-checked against Syft (built from the Go module proxy) on an image
# made from a Debian root filesystem (debootstrap from Debian's archive): build both once per
# machine (a few minutes cold, nothing when cached). CI=true makes the cross-check fail without them.
if [ -z "${KHARDEN_SYFT_DIR:-}" ]; then
  stepvar KHARDEN_SYFT_DIR "Syft" ./hack/syft/build.sh
fi
# The vulnerability matcher's Go findings are cross-checked against govulncheck (built from the Go
# module proxy) on real Go binaries: build it once per machine (under a minute cold). CI=true makes
# the cross-check fail without it.
if [ -z "${KHARDEN_GOVULNCHECK_DIR:-}" ]; then
  stepvar KHARDEN_GOVULNCHECK_DIR "govulncheck" ./hack/govulncheck/build.sh
fi
# Signatures, attestations and key files are checked against cosign itself, both ways (built from
# the Go module proxy: ~10 CPU-minutes cold). CI=true makes those tests fail without it.
if [ -z "${KHARDEN_COSIGN_DIR:-}" ]; then
  stepvar KHARDEN_COSIGN_DIR "cosign" ./hack/cosign/build.sh
fi
if [ -z "${KHARDEN_DEBIAN_ROOTFS:-}" ]; then
  stepvar KHARDEN_DEBIAN_ROOTFS "the Debian root filesystem" ./hack/debian-rootfs/build.sh
fi
# The vulnerability database is tested on the real Go vulnerability database (golang.org/x/vulndb,
# from the Go module proxy: a 25 MB download once). CI=true makes those tests fail without it.
if [ -z "${KHARDEN_GOVULNDB:-}" ]; then
  stepvar KHARDEN_GOVULNDB "the Go vulnerability database" ./hack/vulndb/fetch.sh
fi
# The syscall-profile tests run real programs under Debian's runc and crun, validate AppArmor profiles with
# apparmor_parser and compare the recorder with strace: install them when missing (apt caches them).
# kharden's own image is tested as a release builds it, with the release Go (fetched from the
# Go module proxy once) and reproducible flags: the binary is compiled here, not in the test.
if [ -z "${KHARDEN_RELEASE_BINARY:-}" ]; then
  stepvar KHARDEN_RELEASE_BINARY "kharden as a release builds it" ./hack/release/test-binary.sh
fi
step "runc, crun, strace, apparmor (Debian packages)" ./hack/profile/deps.sh
# The vulnerability matcher's rpm cases are checked against rpm's own version order: install
# Debian's rpm when missing (apt caches it).
step "rpm (Debian package)" ./hack/vuln/deps.sh
# The HTML report is opened in Debian's Chromium, headless: install it when missing (apt caches
# it). CI=true makes those tests fail without it.
step "chromium (Debian package)" ./hack/report/deps.sh
step "go vet" go vet ./...
step "go test" go test -timeout 20m ./... "$@"
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
