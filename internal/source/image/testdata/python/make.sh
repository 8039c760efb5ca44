#!/bin/bash
# Copies real installed Python metadata from this machine into site-packages/ and writes
# expected.txt (NAME VERSION per distribution, as Python's importlib.metadata reads them).
# The sources: Debian's python3-yaml and python3-jwt (/usr/lib/python3/dist-packages) and
# pip-installed packages of the machine's Python (its site-packages).
set -euo pipefail
here=$(pwd)
sp=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf site-packages && mkdir site-packages
for d in /usr/lib/python3/dist-packages/PyYAML-6.0.dist-info /usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info \
	"$sp"/attrs-*.dist-info "$sp"/blinker-*.dist-info "$sp"/click-*.dist-info; do
	mkdir "site-packages/$(basename "$d")"
	for f in METADATA RECORD PKG-INFO; do
		[ -f "$d/$f" ] && cp "$d/$f" "site-packages/$(basename "$d")/"
	done
done
python3 - "$here/site-packages" >expected.txt <<'PY'
import importlib.metadata as md, pathlib, sys
for d in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    m = md.PathDistribution(d).metadata
    print(m["Name"], m["Version"])
PY
