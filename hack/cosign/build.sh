#!/usr/bin/env bash
# Builds the cosign CLI (github.com/sigstore/cosign/v2) from the Go module proxy at a pinned
# version into a cache directory keyed by that version, and prints the directory. Does nothing but
# print it when the binary is already there. kharden's signatures, attestations and key files are
# checked against it, both ways (internal/sign/cosign_test.go). kharden itself never imports cosign.
#
#   KHARDEN_COSIGN_CACHE  cache root (default $HOME/.cache/kharden/cosign)
#   KHARDEN_COSIGN_JOBS   parallel compile jobs (default 2)
#
# A cold build downloads ~260 modules (1.8 GB of module cache, 1.2 GB of build cache) and takes
# 10.4 CPU-minutes (7m50s user, 2m33s sys; 26 min wall measured on 2 cores shared with other builds).
set -euo pipefail

COSIGN_VERSION=v2.6.5

cache_root=${KHARDEN_COSIGN_CACHE:-${HOME:?}/.cache/kharden/cosign}
dir=$cache_root/$COSIGN_VERSION

if [ -x "$dir/cosign" ]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache_root"
# Serialise concurrent builds on a lock file, when flock exists.
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.lock"
  flock 9
  if [ -x "$dir/cosign" ]; then
    echo "$dir"
    exit 0
  fi
fi

jobs=${KHARDEN_COSIGN_JOBS:-2}
tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Outside any module or workspace, so that the project's go.mod plays no part.
cd "$tmp"
export GOWORK=off GOFLAGS="-trimpath -buildvcs=false -p=$jobs" CGO_ENABLED=0 GOMAXPROCS=$jobs GOBIN=$tmp/bin

echo "build.sh: building cosign $COSIGN_VERSION ..." >&2
timer=()
if [ -x /usr/bin/time ]; then
  timer=(/usr/bin/time -f "build.sh: cosign: %e s wall, %U s user, %S s sys, peak RSS %M KB")
fi
# Stamp the version, as the release build does (cosign version).
"${timer[@]}" go install -ldflags "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN_VERSION" \
  "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION"
"$tmp/bin/cosign" version >&2 || true

mkdir -p "$dir"
mv -f "$tmp/bin/cosign" "$dir/cosign"
echo "$dir"
