#!/usr/bin/env bash
# bench/whole/run.sh — the demo's game loop (examples/game_loop.c) built on
# memkit and, from the same source, on malloc/free through the shim
# bench/whole/malloc_memkit.c, timed with hyperfine: the malloc build under
# glibc, then with mimalloc and jemalloc preloaded (LD_PRELOAD). Prints frames
# per second as ratios to memkit (bench/README.md, "Whole program").
# bench/run.sh (make bench) runs it last.
#
#   bash bench/whole/run.sh
#
# Environment: PYTHON (a python3 with jinja2, for memkit-gen), CC (default gcc),
# MK_BENCH_WHOLE_FRAMES (frames a run, default 2000: about 1 s here),
# MK_BENCH_WHOLE_RUNS (timed runs a build, default 5),
# MK_BENCH_NO_INSTALL=1 to never apt-get hyperfine.
# Outputs go to build/bench/whole/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench/whole
py="${PYTHON:-python3}"
frames="${MK_BENCH_WHOLE_FRAMES:-2000}"
runs="${MK_BENCH_WHOLE_RUNS:-5}"

echo
echo "## whole program: examples/game_loop.c, memkit vs malloc/free (hyperfine)"

# ---- hyperfine: install it when missing (Debian), else skip this comparison -------
if ! command -v hyperfine >/dev/null 2>&1 && bench_can_install; then
    echo "bench: installing hyperfine" >&2
    bench_apt_install hyperfine || echo "bench: apt-get install hyperfine failed" >&2
fi
if ! command -v hyperfine >/dev/null 2>&1; then
    echo "skipped: hyperfine is not installed (apt-get install hyperfine)"
    exit 0
fi

# ---- build the demo twice from the same source ------------------------------------------
if ! log="$("$py" generator/memkit-gen memkit.toml.example -o "$out/gen" 2>&1)"; then
    printf '%s\n' "$log" >&2
    exit 1
fi
bench_build "$out/gen" "$out/game_loop_memkit" examples/game_loop.c
# bench/whole first: <memkit/memkit.h> is the shim; memkit/config.h and the
# generated header still come from the runtime and the generator
"$CC" "${bench_cflags[@]}" -Ibench/whole -Iruntime/include -I"$out/gen" -o "$out/game_loop_malloc" \
    examples/game_loop.c bench/whole/malloc_memkit.c bench/whole/malloc_async.c "$out/gen/memkit_config.c" -lpthread

# ---- the commands: a peer allocator that cannot be preloaded is left out -----------------
names=(memkit "malloc (glibc)")
commands=("env $out/game_loop_memkit --frames $frames" "env $out/game_loop_malloc --frames $frames")
for peer in mimalloc jemalloc; do
    lib="lib$peer.so.2"
    if [ -z "$(env LD_PRELOAD="$lib" true 2>&1)" ]; then
        names+=("malloc ($peer, LD_PRELOAD)")
        commands+=("env LD_PRELOAD=$lib $out/game_loop_malloc --frames $frames")
    else
        echo "skipped: $lib cannot be preloaded (bench/run.sh installs lib$peer-dev when root)"
    fi
done

# ---- each build must run consistently (its own end-of-run checks) before it is timed ----
refused=""
for i in "${!commands[@]}"; do
    if ! log="$(${commands[$i]/--frames $frames/--frames 300} 2>&1)"; then
        printf '%s\n' "$log" | tail -20 >&2
        echo "bench: ${names[$i]}: the game loop failed its checks (above)" >&2
        exit 1
    fi
    refused+="${refused:+, }${names[$i]} $(printf '%s\n' "$log" | sed -n 's/^\([0-9]*\) allocations refused.*/\1/p')"
done
echo "checked: every build runs 300 frames consistently (exit 0); allocations refused (budgets): $refused"

# ---- time them -------------------------------------------------------------------------------
args=()
for i in "${!commands[@]}"; do
    args+=(-n "${names[$i]}" "${commands[$i]}")
done
echo "hyperfine: ${#commands[@]} builds x (1 warm-up + $runs runs) of $frames frames, 4 threads each"
hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$out/game_loop.json" "${args[@]}"
echo
"$py" bench/whole/table.py "$out/game_loop.json" "$frames"
