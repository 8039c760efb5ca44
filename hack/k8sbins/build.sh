#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy (the versions
# pinned in hack/k8sbins/go.mod) into a cache directory keyed by the hash of hack/k8sbins/go.sum,
# and prints that directory. Does nothing but print it when the binaries are already there.
#
#   KHARDEN_K8SBINS_CACHE  cache root (default $HOME/.cache/kharden/k8sbins)
#   KHARDEN_K8SBINS_JOBS   parallel compile jobs (default 2; the cold apiserver build peaks near 2 GB)
#
# The binaries are built one after the other: a cold build takes several minutes on 2 cores.
# internal/testkit/cluster computes the same directory to find them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

K8S_VERSION=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' go.mod)
[ -n "$K8S_VERSION" ] || { echo "build.sh: no k8s.io/kubernetes in $here/go.mod" >&2; exit 2; }

cache_root=${KHARDEN_K8SBINS_CACHE:-${HOME:?}/.cache/kharden/k8sbins}
key=$(sha256sum go.sum | cut -c1-64)
dir=$cache_root/$key
bins=(etcd kube-apiserver kube-controller-manager)

have_all() {
  local b
  for b in "${bins[@]}"; do [ -x "$dir/$b" ] || return 1; done
}

if have_all; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache_root"
# Serialise concurrent builds (two test runs on one machine) on a lock file, when flock exists.
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.lock"
  flock 9
  if have_all; then
    echo "$dir"
    exit 0
  fi
fi

jobs=${KHARDEN_K8SBINS_JOBS:-2}
export GOWORK=off CGO_ENABLED=0 GOMAXPROCS=$jobs
export GOFLAGS="-mod=readonly -trimpath -buildvcs=false -p=$jobs"

# Stamp the version the way kubernetes' own build does, or /version answers v0.0.0-master.
major=${K8S_VERSION#v}; major=${major%%.*}
minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
# The build date is the release's date on the module proxy, so rebuilds are byte-identical.
info=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p')
build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${build_date:-1970-01-01T00:00:00Z}"
done

tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

build() { # name package
  echo "build.sh: building $1 from $2 ..." >&2
  local timer=()
  if [ -x /usr/bin/time ]; then
    timer=(/usr/bin/time -f "build.sh: $1: %e s wall, %U s user, %S s sys, peak RSS %M KB")
  fi
  "${timer[@]}" go build -ldflags "$ldflags" -o "$tmp/$1" "$2"
}
build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager

"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version >&2

mkdir -p "$dir"
for b in "${bins[@]}"; do mv -f "$tmp/$b" "$dir/$b"; done
echo "$dir"
