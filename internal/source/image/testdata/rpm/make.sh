#!/bin/bash
# Makes the rpmdb fixtures of rpm_test.go with Debian's rpm (4.18, SQLite backend) and
# Berkeley DB's db_load: apt-get install -y rpm db5.3-util. Run from this directory.
#   rpmdb.sqlite  a real rpmdb: four packages built with rpmbuild, installed with
#                 rpm -i --justdb, one of them erased again (rpm -e --justdb)
#   Packages      the same headers in a Berkeley DB hash database, as rpm's bdb backend
#                 keeps them (key: the 4-byte header number, value: the header blob);
#                 checked by reading it back with rpm's own read-only bdb backend
#   expected.txt  what rpm -qa says of both
set -euo pipefail
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
spec() { # name version release epoch license arch files
	cat >"$work/$1.spec" <<SPEC
Name: $1
Version: $2
Release: $3
$([ "$4" != 0 ] && echo "Epoch: $4")
Summary: kharden rpmdb test fixture $1
License: $5
BuildArch: $6

%description
A package made for kharden's rpmdb tests.

%install
mkdir -p %{buildroot}/usr/share/$1
for i in \$(seq 1 $7); do echo $1 > %{buildroot}/usr/share/$1/file-with-a-long-name-\$i.txt; done

%files
/usr/share/$1
SPEC
	rpmbuild --quiet --define "_topdir $work/build" --define "_build_id_links none" -bb "$work/$1.spec" >/dev/null
}
# hello-fixture has 400 files: its header is larger than a page, in both databases.
spec hello-fixture 1.2.3 4.fc40 0 MIT x86_64 400
spec tzdata-fixture 2024a 1.el9 0 "Public Domain" noarch 1
spec libepoch-fixture 3.1 2 7 "GPL-2.0-or-later AND LGPL-2.1-or-later" x86_64 2
spec erased-fixture 1.0 1 0 BSD-3-Clause noarch 1
db="$work/db"
mkdir "$db"
rpm --dbpath "$db" --initdb
rpm --dbpath "$db" -i --justdb --nodeps --ignorearch "$work"/build/RPMS/*/*.rpm 2>/dev/null
rpm --dbpath "$db" -e --justdb --nodeps erased-fixture
# rpm leaves the database in WAL mode with an empty write-ahead log once it is closed.
cp "$db/rpmdb.sqlite" "$here/rpmdb.sqlite"
qf='%{NAME} %{EPOCH} %{VERSION} %{RELEASE} %{ARCH} %{SOURCERPM} %{LICENSE}\n'
rpm --dbpath "$db" -qa --qf "$qf" | sort >"$here/expected.txt"
# The Berkeley DB copy: every header blob under its number, in db_load's input format.
python3 - "$db/rpmdb.sqlite" >"$work/dump.txt" <<'PY'
import sqlite3, struct, sys
c = sqlite3.connect(sys.argv[1])
print("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=4096\nHEADER=END")
for hnum, blob in c.execute("select hnum, blob from Packages order by hnum"):
    print(" " + struct.pack("<I", hnum).hex())
    print(" " + bytes(blob).hex())
print("DATA=END")
PY
bdb="$work/bdb"
mkdir "$bdb"
db5.3_load -f "$work/dump.txt" "$bdb/Packages"
cp "$bdb/Packages" "$here/Packages"
diff <(rpm --define "_db_backend bdb_ro" --dbpath "$bdb" -qa --qf "$qf" 2>/dev/null | sort) "$here/expected.txt"
echo "made rpmdb.sqlite and Packages; rpm reads both the same"
