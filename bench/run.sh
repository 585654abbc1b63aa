#!/usr/bin/env bash
# bench/run.sh — builds and runs memkit's microbenchmarks (see bench/README.md).
#
#   bash bench/run.sh [rounds]        (default 21 rounds; also MK_BENCH_ROUNDS)
#
# Environment: PYTHON (a python3 with jinja2), CC (default gcc),
# MK_BENCH_NO_INSTALL=1 to never call apt-get.
# Build outputs go to build/bench/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench

# ---- peers: install libmimalloc-dev / libjemalloc-dev when missing (Debian) ----
# The peers are dlopen'ed by soname at run time (see bench.c), which says
# plainly when one cannot be loaded and goes on without it.
bench_install_peers bench

# ---- generate the configuration ------------------------------------------------
bench_find_python bench
"$py" generator/memkit-gen bench/memkit_bench.toml -o "$out/gen" >&2

# ---- build ----------------------------------------------------------------------
bench_build "$out/gen" "$out/memkit_bench" bench/bench.c -ldl

# ---- run --------------------------------------------------------------------------
bench_run "$out/memkit_bench" "$@"

# ---- max_threads: per-operation and per-frame cost must not depend on it ---------
echo
echo "| max_threads (bench/max_threads.c)  | max_threads | median | min | max |"
echo "|---|---|---|---|---|"
for n in 4 64 1024; do
    mkdir -p "$out/mt$n"
    sed "s/^max_threads = 4$/max_threads = $n/" bench/max_threads.toml > "$out/mt$n/max_threads.toml"
    "$py" generator/memkit-gen "$out/mt$n/max_threads.toml" -o "$out/mt$n/gen" >/dev/null
    bench_build "$out/mt$n/gen" "$out/mt$n/max_threads" bench/max_threads.c
    "$out/mt$n/max_threads"
done

# ---- whole program: the demo's game loop on memkit vs on malloc/free (hyperfine) ------
PYTHON="$py" CC="$CC" bash bench/whole/run.sh

# ---- the async tier (issue 9): async pools vs DPDK's rte_mempool and a mutex+condvar pool ----
echo
PYTHON="$py" CC="$CC" bash bench/run_async.sh "$@"
