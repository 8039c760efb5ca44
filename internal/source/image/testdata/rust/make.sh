#!/bin/bash
# Builds a small Rust program with cargo (offline: a binary crate and a local library it
# depends on, with a build-only dependency) and embeds its dependency list as
# cargo auditable does: zlib-compressed JSON {"packages": [{name, version, source, kind,
# dependencies, root}]} in an ELF section named .dep-v0. cargo-auditable itself is not
# available here (crates.io is not reachable), so the list is made from cargo metadata's
# resolve graph and the section added with objcopy.
#   hello          the binary (stripped, linked against libstd dynamically to stay small)
#   expected.txt   NAME VERSION KIND of each package in the section, from cargo metadata
set -euo pipefail
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cargo new --quiet --lib greet && cargo new --quiet --lib buildhelp && cargo new --quiet --bin hello
sed -i 's/^version = .*/version = "0.3.1"/' greet/Cargo.toml
sed -i 's/^version = .*/version = "1.0.0"/' buildhelp/Cargo.toml
cat >>hello/Cargo.toml <<'TOML'
greet = { path = "../greet" }

[build-dependencies]
buildhelp = { path = "../buildhelp" }
TOML
sed -i 's/^version = .*/version = "2.1.0"/' hello/Cargo.toml
echo 'fn main() {}' >hello/build.rs
echo 'pub fn hi() -> &'"'"'static str { "hi" }' >greet/src/lib.rs
echo 'fn main() { println!("{}", greet::hi()); }' >hello/src/main.rs
cd hello
RUSTFLAGS="-C prefer-dynamic -C strip=symbols" cargo build --quiet --release --offline
cargo metadata --quiet --offline --format-version 1 >"$work/meta.json"
python3 - "$work/meta.json" "$work/dep-v0" "$here/expected.txt" <<'PY'
import json, sys, zlib
m = json.load(open(sys.argv[1]))
pkgs = {p["id"]: p for p in m["packages"]}
nodes = {n["id"]: n for n in m["resolve"]["nodes"]}
root = m["resolve"]["root"]
kind = {root: "runtime"}
order = [root]
for pid in order:  # breadth first from the root: runtime unless reached only by build edges
    for d in nodes[pid]["deps"]:
        k = "build" if all(dk["kind"] == "build" for dk in d["dep_kinds"]) else "runtime"
        if kind.get(pid) == "build":
            k = "build"
        if d["pkg"] not in kind or (kind[d["pkg"]] == "build" and k == "runtime"):
            kind[d["pkg"]] = k
            order.append(d["pkg"])
ids = sorted(kind, key=lambda i: (pkgs[i]["name"], pkgs[i]["version"]))
out = []
for i in ids:
    p = pkgs[i]
    e = {"name": p["name"], "version": p["version"], "source": "local" if p["source"] is None else "crates.io"}
    if kind[i] == "build":
        e["kind"] = "build"
    deps = sorted(ids.index(d["pkg"]) for d in nodes[i]["deps"])
    if deps:
        e["dependencies"] = deps
    if i == root:
        e["root"] = True
    out.append(e)
open(sys.argv[2], "wb").write(zlib.compress(json.dumps({"packages": out}, separators=(",", ":")).encode()))
with open(sys.argv[3], "w") as f:
    for e in out:
        f.write("%s %s %s\n" % (e["name"], e["version"], e.get("kind", "runtime")))
PY
objcopy --add-section .dep-v0="$work/dep-v0" --set-section-flags .dep-v0=noload,readonly target/release/hello "$here/hello"
echo "made hello ($(stat -c %s "$here/hello") bytes)"
