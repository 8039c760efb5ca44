#!/usr/bin/env bash
# Builds a minimal Debian root filesystem with debootstrap (--variant=minbase) from Debian's package
# archive into a cache directory keyed by suite, variant and architecture, and prints that directory.
# Does nothing but print it when the root filesystem is already there. Tests build real images from
# it (a real dpkg database and real binaries) and compare kharden's inventory with Syft's.
#
#   KHARDEN_DEBIAN_CACHE   cache root (default $HOME/.cache/kharden/debian-rootfs)
#   KHARDEN_DEBIAN_MIRROR  the Debian mirror (default: the first .../debian URI of apt's sources)
#   KHARDEN_DEBIAN_SUITE   the suite (default bookworm)
#
# Needs root (debootstrap makes device nodes and chroots to run maintainer scripts) and debootstrap,
# which it installs with apt-get when missing. A cold build takes about 90 s.
set -euo pipefail

suite=${KHARDEN_DEBIAN_SUITE:-bookworm}
variant=minbase
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)

cache_root=${KHARDEN_DEBIAN_CACHE:-${HOME:?}/.cache/kharden/debian-rootfs}
dir=$cache_root/$suite-$variant-$arch

# The directory appears whole (renamed into place once debootstrap succeeded), so its dpkg
# database is proof of a finished build.
done_marker() { [ -f "$dir/var/lib/dpkg/status" ]; }

if done_marker; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache_root"
if command -v flock >/dev/null; then
  exec 9>"$cache_root/.lock"
  flock 9
  if done_marker; then
    echo "$dir"
    exit 0
  fi
fi

if [ "$(id -u)" != 0 ]; then
  echo "build.sh: debootstrap needs root" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  echo "build.sh: installing debootstrap ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi

mirror=${KHARDEN_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
fi
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')
fi
[ -n "$mirror" ] || { echo "build.sh: no Debian mirror in apt's sources; set KHARDEN_DEBIAN_MIRROR" >&2; exit 2; }

tmp=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "build.sh: debootstrap --variant=$variant $suite from $mirror ..." >&2
timer=()
if [ -x /usr/bin/time ]; then
  timer=(/usr/bin/time -f "build.sh: debootstrap: %e s wall, peak RSS %M KB")
fi
"${timer[@]}" debootstrap --variant="$variant" --arch="$arch" "$suite" "$tmp/rootfs" "$mirror" >&2
# Downloaded .debs are not part of an image.
rm -rf "$tmp/rootfs/var/cache/apt/archives/"*.deb
rm -rf "$dir"
mv "$tmp/rootfs" "$dir"
echo "$dir"
