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
. "$(dirname "$0")/../lib/gotool.sh"
COSIGN_VERSION=v2.6.5
# Stamp the version, as the release build does (cosign version).
gotool cosign "$COSIGN_VERSION" github.com/sigstore/cosign/v2/cmd/cosign KHARDEN_COSIGN_CACHE KHARDEN_COSIGN_JOBS \
  "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN_VERSION"
