#!/usr/bin/env bash
# Recording overhead: the syscall-heavy `ls -R /usr` run plainly, under strace
# (`strace -f -c -o /dev/null`, Debian's strace) and under kharden profile record
# (seccomp only, and with the AppArmor detail: --format all). Each is run RUNS times
# (default 5) and the fastest wall-clock time is kept, which on a busy machine is the
# least disturbed. Prints a Markdown table for docs/benchmarks.md.
# Needs root (ptrace of setuid programs is not needed, but the tests' setting is root)
# and strace (hack/profile/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/profile/deps.sh
runs=${RUNS:-5}
cmd=(ls -R /usr)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/kharden" ./cmd/kharden

best() { # best NAME COMMAND...: the fastest of $runs runs, in seconds
  local name=$1 best= t0 t1 dt; shift
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    dt=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$dt < $best" | bc -l)" = 1 ]; then best=$dt; fi
  done
  printf '%s\t%.3f\n' "$name" "$best"
}

"${cmd[@]}" | wc -l | xargs printf 'ls -R /usr: %s lines of output\n' >&2
{
  best plain "${cmd[@]}"
  best strace strace -f -c -o /dev/null "${cmd[@]}"
  best kharden "$tmp/kharden" profile record --runtime none -o "$tmp/out" -- "${cmd[@]}"
  best kharden-all "$tmp/kharden" profile record --runtime none --format all -o "$tmp/out" -- "${cmd[@]}"
} > "$tmp/times"
awk -F'\t' -v runs="$runs" '
  { t[$1] = $2; order[NR] = $1 }
  END {
    printf "| command (fastest of %d) | seconds | vs plain | vs strace |\n|---|---|---|---|\n", runs
    for (i = 1; i <= NR; i++) { n = order[i]
      printf "| %s | %.3f | %.1fx | %.2fx |\n", n, t[n], t[n] / t["plain"], t[n] / t["strace"] }
  }' "$tmp/times"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
