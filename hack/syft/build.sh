#!/usr/bin/env bash
# Builds Syft (github.com/anchore/syft) from the Go module proxy at a pinned version into a cache
# directory keyed by that version, and prints the directory. Does nothing but print it when the
# binary is already there. The image inventory is cross-checked against it
# (internal/rules/image/syft_test.go).
#
#   KHARDEN_SYFT_CACHE  cache root (default $HOME/.cache/kharden/syft)
#   KHARDEN_SYFT_JOBS   parallel compile jobs (default 2)
#
# A cold build compiles ~600 packages: minutes on 2 cores (see docs/scan-image.md).
set -euo pipefail

SYFT_VERSION=v1.57.2

cache_root=${KHARDEN_SYFT_CACHE:-${HOME:?}/.cache/kharden/syft}
dir=$cache_root/$SYFT_VERSION

if [ -x "$dir/syft" ]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache_root"
# Serialise concurrent builds on a lock file, when flock exists.
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.lock"
  flock 9
  if [ -x "$dir/syft" ]; then
    echo "$dir"
    exit 0
  fi
fi

jobs=${KHARDEN_SYFT_JOBS:-2}
tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Outside any module or workspace, so that the project's go.mod plays no part.
cd "$tmp"
export GOWORK=off GOFLAGS="-trimpath -buildvcs=false -p=$jobs" CGO_ENABLED=0 GOMAXPROCS=$jobs GOBIN=$tmp/bin

echo "build.sh: building syft $SYFT_VERSION ..." >&2
timer=()
if [ -x /usr/bin/time ]; then
  timer=(/usr/bin/time -f "build.sh: syft: %e s wall, %U s user, %S s sys, peak RSS %M KB")
fi
# Stamp the version, as the release build does (syft version, and the tool name in its SBOMs).
"${timer[@]}" go install -ldflags "-s -w -X main.version=${SYFT_VERSION#v}" "github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
"$tmp/bin/syft" version >&2 || true

mkdir -p "$dir"
mv -f "$tmp/bin/syft" "$dir/syft"
echo "$dir"
