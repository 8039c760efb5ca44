#!/usr/bin/env bash
# Measures the HTML report of the x100 corpus scan in Chromium: builds 100 copies of
# ../shared/corpus (objects renamed per copy, as hack/bench.sh makes them), scans them with
# -o html, then opens and filters the page in headless Chromium (BenchmarkHTMLBrowser in
# internal/report). Results are recorded by hand in docs/benchmarks.md.
#
#   ./hack/bench-html.sh                 the x100 corpus report, 3 runs
#   BENCHTIME=5x ./hack/bench-html.sh    more runs
#   ./hack/bench-html.sh synthetic       100,000 generated results instead
set -euo pipefail
cd "$(dirname "$0")/.."

./hack/report/deps.sh
benchtime=${BENCHTIME:-3x}
if [ "${1:-}" = synthetic ]; then
  exec go test ./internal/report/ -run '^$' -bench HTMLBrowser -benchtime "$benchtime"
fi

work=.bench/html
corpus=../shared/corpus
if [ ! -e "$work/x100/.complete" ]; then
  echo "hack/bench-html.sh: copying the corpus 100 times into $work/x100 ..." >&2
  rm -rf "$work/x100"
  for i in $(seq 0 99); do
    out=$(printf '%s/x100/copy%03d' "$work" "$i")
    mkdir -p "$out"
    cp -R "$corpus"/. "$out"/
    find "$out" -type f \( -iname '*.yaml' -o -iname '*.yml' \) -exec perl -pi -e "s/^(  name: [\"']?)/\${1}c$i-/" {} +
  done
  touch "$work/x100/.complete"
fi
go build -trimpath -o "$work/kharden" ./cmd/kharden
# The corpus has files that do not parse: the scan exits 2 and still writes the whole report.
"$work/kharden" scan --no-config -o html --output "$work/x100.html" "$work/x100" || [ $? -le 2 ]
ls -l "$work/x100.html" >&2
# Searched: a word of some high results (a container's privileges), so that rows are drawn.
KHARDEN_HTML_REPORT=$PWD/$work/x100.html KHARDEN_HTML_SEARCH=${SEARCH:-privileged} exec go test ./internal/report/ -run '^$' -bench HTMLBrowser -benchtime "$benchtime"
