#!/usr/bin/env bash
# Installs the Debian packages the syscall-profile tests use, when they are missing:
#   runc     runs a bundle with the generated seccomp profile in linux.seccomp (both no_new_privs settings)
#   crun     the same with the other runtime kharden ships a baseline for
#   strace   the reference the recorder's overhead is measured against (hack/bench-profile.sh)
#   apparmor apparmor_parser, which validates the generated AppArmor profiles (this kernel has no
#            AppArmor, so they are validated, not enforced)
# Idempotent: does nothing when the four commands are there. Caches nothing itself: apt keeps
# its own package cache. Needs root to install; without root it only reports what is missing.
set -euo pipefail

missing=()
command -v runc >/dev/null || missing+=(runc)
command -v crun >/dev/null || missing+=(crun)
command -v strace >/dev/null || missing+=(strace)
command -v apparmor_parser >/dev/null || [ -x /sbin/apparmor_parser ] || missing+=(apparmor)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "hack/profile/deps.sh: missing ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "hack/profile/deps.sh: installing ${missing[*]} ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
