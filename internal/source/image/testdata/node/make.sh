#!/bin/bash
# Installs a small real project with npm (from the npm registry) and keeps its metadata:
#   app/package.json, app/package-lock.json   the project and the lock file npm wrote
#   app/node_modules/**/package.json          the installed packages' manifests, as
#                                            published (a nested is-number 7 under
#                                            to-regex-range, a scoped package, a dev one)
#   expected.txt                              npm query '*': LOCATION NAME VERSION DEV
set -euo pipefail
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/package.json" <<'JSON'
{"name": "kharden-node-fixture", "version": "1.0.0", "private": true,
 "dependencies": {"is-number": "6.0.0", "to-regex-range": "5.0.1", "@tootallnate/once": "2.0.0"},
 "devDependencies": {"kind-of": "6.0.3"}}
JSON
(cd "$work" && npm install --ignore-scripts --no-audit --no-fund >/dev/null &&
	npm query '*' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const p of JSON.parse(s))console.log(p.location,p.name,p.version,!!p.dev)})' | sort >"$here/expected.txt")
rm -rf app && mkdir app
cp "$work/package.json" "$work/package-lock.json" app/
(cd "$work" && find node_modules -name package.json -not -path '*/.bin/*') | while read -r f; do
	mkdir -p "app/$(dirname "$f")" && cp "$work/$f" "app/$f"
done
