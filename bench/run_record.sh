#!/usr/bin/env bash
# bench/run_record.sh — what taking a recorded frame's row costs (issue 12):
# bench/bench_record.c built against bench/bench_record.toml as it is
# ([record] frames = 600) and with frames = 0, run alternately; see bench/README.md.
#
#   bash bench/run_record.sh [rounds] [pairs]   (default 21 rounds, 3 pairs of runs)
#
# Environment: PYTHON (a python3 with jinja2), CC (default gcc).
# Build outputs go to build/bench-record/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench-record
rounds="${1:-21}"
pairs="${2:-3}"

bench_find_python bench-record
sed 's/^frames = 600$/frames = 0/' bench/bench_record.toml > "$out/bench_record_off.toml"
for variant in on off; do
    toml=bench/bench_record.toml
    [ "$variant" = off ] && toml="$out/bench_record_off.toml"
    "$py" generator/memkit-gen "$toml" -o "$out/gen_$variant" 2>/dev/null >&2
    bench_build "$out/gen_$variant" "$out/bench_record_$variant" bench/bench_record.c
done

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $("$CC" --version | head -1), load $(cut -d' ' -f1 /proc/loadavg)"
for _ in $(seq "$pairs"); do
    "$out/bench_record_on" "$rounds"
    "$out/bench_record_off" "$rounds"
done
