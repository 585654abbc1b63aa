#!/usr/bin/env bash
# bench/run_async.sh — builds and runs the async tier's benchmark
# (bench/bench_async.c against bench/bench_async.toml, with DPDK's rte_mempool
# and a mutex+condvar pool beside memkit; see bench/README.md). bench/run.sh
# (`make bench`) runs it after the main table.
#
#   bash bench/run_async.sh [rounds]  (default 21 rounds; also MK_BENCH_ROUNDS)
#
# Environment: PYTHON (a python3 with jinja2), CC (default gcc),
# MK_BENCH_NO_INSTALL=1 to never call apt-get, MK_BENCH_SKIP="dpdk" to leave
# DPDK out. Build outputs go to build/bench-async/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench-async

# ---- DPDK: install libdpdk-dev when missing (Debian); without it the DPDK rows are skipped ----
bench_install_dpdk bench-async

# ---- generate the configuration ------------------------------------------------
bench_find_python bench-async
"$py" generator/memkit-gen bench/bench_async.toml -o "$out/gen" >&2

# ---- build: DPDK's side apart (its flags touch nothing else), then the rest ------
dpdk_libs=()
if [ -n "$dpdk_missing" ]; then
    "$CC" "${bench_cflags[@]}" -DMK_BENCH_DPDK_MISSING="\"$dpdk_missing\"" -c bench/bench_async_dpdk.c \
        -o "$out/bench_async_dpdk.o"
else
    # shellcheck disable=SC2046  # pkg-config's flags are words
    "$CC" "${bench_cflags[@]}" $(bench_dpdk_cflags) -c bench/bench_async_dpdk.c -o "$out/bench_async_dpdk.o"
    read -r -a dpdk_libs <<<"$(pkg-config --libs libdpdk)"
fi
bench_build "$out/gen" "$out/bench_async" bench/bench_async.c "$out/bench_async_dpdk.o" "${dpdk_libs[@]}"

# ---- run --------------------------------------------------------------------------
bench_run "$out/bench_async" "$@"
