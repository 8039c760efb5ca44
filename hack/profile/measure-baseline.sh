#!/usr/bin/env bash
# Measures the syscalls each container runtime makes between loading a container's seccomp
# profile and executing its program, with and without no_new_privs, and writes them where
# kharden ships them: internal/profile/seccomp/baselines/RUNTIME.json (with the date, the
# runtime's version and the kernel). Needs root and the runtimes (hack/profile/deps.sh
# installs Debian's runc and crun).
#   RUNTIMES  the runtimes to measure (default "runc crun")
#   RUNS      runs per setting, merged (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
./hack/profile/deps.sh
for rt in ${RUNTIMES:-runc crun}; do
  go run ./hack/profile/measure-baseline -runtime "$rt" -runs "${RUNS:-10}" -o "internal/profile/seccomp/baselines/$rt.json"
done
