#!/usr/bin/env bash
# Measures the syscalls runc makes between loading a container's seccomp profile and
# executing its program, with and without no_new_privs, and writes them where kharden
# ships them: internal/profile/seccomp/baselines/runc.json (with the date, runc's version
# and the kernel). Needs root and runc (hack/profile/deps.sh installs Debian's).
#   RUNS  runs per setting, merged (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
./hack/profile/deps.sh
go run ./hack/profile/measure-baseline -runtime runc -runs "${RUNS:-10}" -o internal/profile/seccomp/baselines/runc.json
