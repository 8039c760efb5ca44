#!/bin/bash
# Makes the rpm database of rpm_test.go with Debian's rpm (4.18, SQLite backend):
# apt-get install -y rpm (hack/vuln/deps.sh). Run from this directory.
#   rpmdb.sqlite  a real rpmdb: packages built with rpmbuild and installed with
#                 rpm -i --justdb, whose versions have what Rocky Linux, AlmaLinux and Red Hat
#                 versions have: an epoch, a tilde, a caret, a dotted release; two binaries of
#                 one source RPM; a binary whose epoch its source RPM's file name lacks
#   expected.txt  what rpm -qa says of it
set -euo pipefail
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
spec() { # name version release epoch [subpackage]
	cat >"$work/$1.spec" <<SPEC
Name: $1
Version: $2
Release: $3
$([ "$4" != 0 ] && echo "Epoch: $4")
Summary: kharden vulnerability matcher test package $1
License: MIT
BuildArch: x86_64

%description
A package made for kharden's rpm advisory tests.
$([ -n "${5:-}" ] && printf '\n%%package %s\nSummary: %s of %s\n\n%%description %s\nThe %s of %s.\n' "$5" "$5" "$1" "$5" "$5" "$1")

%install
mkdir -p %{buildroot}/usr/share/$1
echo $1 > %{buildroot}/usr/share/$1/README
$([ -n "${5:-}" ] && echo "mkdir -p %{buildroot}/usr/share/$1-$5 && echo $5 > %{buildroot}/usr/share/$1-$5/README")

%files
/usr/share/$1
$([ -n "${5:-}" ] && printf '\n%%files %s\n/usr/share/%s-%s\n' "$5" "$1" "$5")
SPEC
	rpmbuild --quiet --define "_topdir $work/build" --define "_build_id_links none" -bb "$work/$1.spec" >/dev/null
}
spec kh-ssl 3.0.7 24.el9 1 libs
spec kh-tilde 2.0~rc1 1.el9 0
spec kh-caret 1.0^20230101git3e4f5a6 2.el9 0
spec kh-kernel 5.14.0 427.13.1.el9_4 0
spec kh-release 4.18.0 3.el9 0
db="$work/db"
mkdir "$db"
rpm --dbpath "$db" --initdb
rpm --dbpath "$db" -i --justdb --nodeps --ignorearch "$work"/build/RPMS/*/*.rpm 2>/dev/null
# rpm leaves the database in WAL mode with an empty write-ahead log once it is closed.
cp "$db/rpmdb.sqlite" "$here/rpmdb.sqlite"
rpm --dbpath "$db" -qa --qf '%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{SOURCERPM}\n' | sort >"$here/expected.txt"
echo "made rpmdb.sqlite"
