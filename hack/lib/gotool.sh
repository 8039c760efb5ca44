# Sourced by the build scripts of the reference tools the tests compare kharden with
# (hack/syft, hack/govulncheck, hack/cosign).
#
# gotool NAME VERSION PACKAGE CACHE_VAR JOBS_VAR [LDFLAGS]
#   builds NAME from the Go module proxy (go install PACKAGE@VERSION) into a cache directory
#   keyed by VERSION ($CACHE_VAR, default $HOME/.cache/kharden/NAME) and prints the directory;
#   prints it at once when the binary is already there. Concurrent builds wait on a lock;
#   $JOBS_VAR (default 2) is the number of parallel compile jobs.
gotool() {
  local name=$1 version=$2 pkg=$3 cache_var=$4 jobs_var=$5 ldflags=${6:--s -w}
  local cache_root=${!cache_var:-${HOME:?}/.cache/kharden/$name}
  local dir=$cache_root/$version
  if [ -x "$dir/$name" ]; then
    echo "$dir"
    return 0
  fi
  mkdir -p "$cache_root"
  # Serialise concurrent builds on a lock file, when flock exists.
  if command -v flock >/dev/null; then
    exec 9>"$cache_root/.lock"
    flock 9
    if [ -x "$dir/$name" ]; then
      echo "$dir"
      return 0
    fi
  fi
  local jobs=${!jobs_var:-2}
  local tmp
  tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
  # shellcheck disable=SC2064 # tmp is fixed now
  trap "rm -rf '$tmp'" EXIT
  # Outside any module or workspace, so that the project's go.mod plays no part.
  (
    cd "$tmp"
    export GOWORK=off GOFLAGS="-trimpath -buildvcs=false -p=$jobs" CGO_ENABLED=0 GOMAXPROCS=$jobs GOBIN=$tmp/bin
    echo "build.sh: building $name $version ..." >&2
    local timer=()
    if [ -x /usr/bin/time ]; then
      timer=(/usr/bin/time -f "build.sh: $name: %e s wall, %U s user, %S s sys, peak RSS %M KB")
    fi
    "${timer[@]}" go install -ldflags "$ldflags" "$pkg@$version"
    "$tmp/bin/$name" version >&2 || "$tmp/bin/$name" -version >&2 || true
  )
  mkdir -p "$dir"
  mv -f "$tmp/bin/$name" "$dir/$name"
  echo "$dir"
}
