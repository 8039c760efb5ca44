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
. "$(dirname "$0")/../lib/gotool.sh"
SYFT_VERSION=v1.57.2
# Stamp the version, as the release build does (syft version, and the tool name in its SBOMs).
gotool syft "$SYFT_VERSION" github.com/anchore/syft/cmd/syft KHARDEN_SYFT_CACHE KHARDEN_SYFT_JOBS "-s -w -X main.version=${SYFT_VERSION#v}"
