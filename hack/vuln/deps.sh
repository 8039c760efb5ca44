#!/usr/bin/env bash
# Installs the Debian packages the vulnerability matcher's tests use, when they are missing:
#   rpm   rpm.vercmp (rpm --eval '%{lua:...}'), the reference for the rpm version order of
#         internal/vuln/rpm_test.go; rpmbuild, which made internal/vuln/testdata/rpm
# (dpkg, the reference for Debian's order, is always there on Debian.)
# Idempotent: does nothing when rpm is there. Caches nothing itself: apt keeps its own package
# cache. Needs root to install; without root it only reports what is missing.
set -euo pipefail

command -v rpm >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "hack/vuln/deps.sh: missing rpm; install it as root (apt-get install rpm)" >&2
  exit 0
fi
echo "hack/vuln/deps.sh: installing rpm ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends rpm >&2
