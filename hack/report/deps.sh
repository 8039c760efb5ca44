#!/usr/bin/env bash
# Installs Debian's Chromium, in which the tests open the HTML report (headless, driven over
# the DevTools protocol), when it is missing. Idempotent: does nothing when chromium is
# there. Caches nothing itself: apt keeps its own package cache. Needs root to install;
# without root it only reports what is missing (the tests then skip, or fail with CI=true).
set -euo pipefail

command -v chromium >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "hack/report/deps.sh: chromium is missing; install it as root (apt-get install chromium)" >&2
  exit 0
fi
echo "hack/report/deps.sh: installing chromium ..." >&2
export DEBIAN_FRONTEND=noninteractive
# Another install may hold apt's lock for a while: wait for it rather than fail.
apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >&2
