#!/usr/bin/env bash
# bench/run_mt.sh — builds and runs memkit's multi-threaded benchmark
# (bench/bench_mt.c against bench/bench_mt.toml; see bench/README.md).
#
#   bash bench/run_mt.sh [runs]       (default 7 runs; also MK_BENCH_MT_RUNS)
#
# Environment: PYTHON (a python3 with jinja2), CC (default gcc),
# MK_BENCH_NO_INSTALL=1 to never call apt-get, MK_BENCH_ONLY=TEXT (rows whose
# name contains TEXT), MK_BENCH_SKIP="jemalloc" (allocators left out).
# Build outputs go to build/bench-mt/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench-mt

# ---- peers: install libmimalloc-dev / libjemalloc-dev when missing (Debian) ----
# The peers are dlopen'ed by soname in each measuring child (see bench_mt.c),
# which says plainly when one cannot be loaded and goes on without it.
bench_install_peers bench-mt

# ---- generate the configuration ------------------------------------------------
bench_find_python bench-mt
# ML503 (an intent without a budget) is expected here: the measured intents are unbudgeted on purpose.
"$py" generator/memkit-gen bench/bench_mt.toml -o "$out/gen" >&2

# ---- build ----------------------------------------------------------------------
bench_build "$out/gen" "$out/bench_mt" bench/bench_mt.c -ldl

# ---- run --------------------------------------------------------------------------
bench_run "$out/bench_mt" "$@"
