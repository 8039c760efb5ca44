#!/usr/bin/env bash
# Downloads the Go vulnerability database (the module golang.org/x/vulndb, whose data/osv/ holds
# its OSV advisories) from the Go module proxy at a pinned version, and prints the module's
# directory in the module cache. Does nothing but print it when the module is already there.
# The vulnerability database tests import it (internal/source/vulndb, KHARDEN_GOVULNDB).
set -euo pipefail

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

# Outside any module or workspace, so that the project's go.mod plays no part.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export GOWORK=off GOFLAGS=
if ! json=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION"); then
  echo "fetch.sh: go mod download golang.org/x/vulndb@$VULNDB_VERSION failed:" >&2
  printf '%s\n' "$json" >&2
  exit 2
fi
dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
  echo "fetch.sh: no data/osv in the module download:" >&2
  printf '%s\n' "$json" >&2
  exit 2
fi
echo "$dir"
