#!/usr/bin/env bash
# Builds kharden for linux/amd64 exactly as a release is built (hack/release: the release
# Go, reproducible flags) and prints the binary's path, for the image test
# (internal/release TestImage, KHARDEN_RELEASE_BINARY). Built here, before `go test`, so
# that the compile is not inside a test's time limit; nothing is cached but Go's own
# build cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${KHARDEN_RELEASE_TEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kharden/release-test}
mkdir -p "$out"
go run ./hack/release binaries -platforms linux/amd64 -out "$out" >&2
echo "$out/release/kharden_$(cat VERSION)_linux_amd64"
