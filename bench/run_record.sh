#!/usr/bin/env bash
# bench/run_record.sh — what recording costs (issue 12): bench/bench_record.c
# built against bench/bench_record.toml as it is ([record] frames = 600), with
# frames = 0, with histogram = true and with trace_events = 65536, run in
# turn; see bench/README.md.
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
cp bench/bench_record.toml "$out/bench_record_on.toml"
sed 's/^frames = 600$/frames = 0/' bench/bench_record.toml > "$out/bench_record_off.toml"
sed 's/^frames = 600$/frames = 600\nhistogram = true/' bench/bench_record.toml > "$out/bench_record_hist.toml"
sed 's/^frames = 600$/frames = 600\ntrace_events = 65536/' bench/bench_record.toml > "$out/bench_record_trace.toml"
variants="on off hist trace"
for variant in $variants; do
    "$py" generator/memkit-gen "$out/bench_record_$variant.toml" -o "$out/gen_$variant" 2>/dev/null >&2
    bench_build "$out/gen_$variant" "$out/bench_record_$variant" bench/bench_record.c
done

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $("$CC" --version | head -1), load $(cut -d' ' -f1 /proc/loadavg)"
for _ in $(seq "$pairs"); do
    for variant in $variants; do
        "$out/bench_record_$variant" "$rounds"
    done
done
