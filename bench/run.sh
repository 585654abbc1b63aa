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
cd "$root"
out="build/bench"
mkdir -p "$out"
CC="${CC:-gcc}"

# ---- peers: install libmimalloc-dev / libjemalloc-dev when missing (Debian) ----
have_pkg() { dpkg -s "$1" >/dev/null 2>&1; }
missing=()
if command -v dpkg >/dev/null 2>&1; then
    for pkg in libmimalloc-dev libjemalloc-dev; do
        have_pkg "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ] && [ "${MK_BENCH_NO_INSTALL:-0}" != 1 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "bench: installing ${missing[*]}" >&2
            if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2; then
                echo "bench: apt-get failed; the missing peers will be skipped" >&2
            fi
        else
            echo "bench: ${missing[*]} missing and not root: those peers will be skipped" >&2
        fi
    fi
fi
# The peers are dlopen'ed by soname at run time (see bench.c), which says
# plainly when one cannot be loaded and goes on without it.

# ---- generate the configuration ------------------------------------------------
find_py() {
    py=""
    for cand in ${PYTHON:-} python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import jinja2' >/dev/null 2>&1; then
            py="$cand"
            return
        fi
    done
}
find_py
if [ -z "$py" ] && [ "${MK_BENCH_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: installing python3-jinja2" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jinja2; } >&2 || true
    find_py
fi
if [ -z "$py" ]; then
    echo "bench: no python3 with jinja2 found (apt-get install python3-jinja2, or set PYTHON)" >&2
    exit 1
fi
"$py" generator/memkit-gen bench/memkit_bench.toml -o "$out/gen" >&2

# ---- build ----------------------------------------------------------------------
cflags=(-O2 -std=c11 -DNDEBUG -Wall -Wextra -Wpedantic -Wconversion -Iruntime/include -Iruntime/src -I"$out/gen")
"$CC" "${cflags[@]}" -o "$out/memkit_bench" \
    bench/bench.c runtime/src/*.c runtime/src/prim/*.c "$out/gen/memkit_config.c" \
    -lpthread -ldl

# ---- run --------------------------------------------------------------------------
# jemalloc's TLS block is in the static TLS model (2.6 KiB); glibc keeps only
# 512 B spare for libraries dlopen'ed later, so give it room.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.rtld.optional_static_tls=65536"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $("$CC" --version | head -1)"
"$out/memkit_bench" "$@"

# ---- max_threads: per-operation and per-frame cost must not depend on it ---------
echo
echo "| max_threads (bench/max_threads.c)  | max_threads | median | min | max |"
echo "|---|---|---|---|---|"
for n in 4 64 1024; do
    mkdir -p "$out/mt$n"
    sed "s/^max_threads = 4$/max_threads = $n/" bench/max_threads.toml > "$out/mt$n/max_threads.toml"
    "$py" generator/memkit-gen "$out/mt$n/max_threads.toml" -o "$out/mt$n/gen" >/dev/null
    "$CC" -O2 -std=c11 -DNDEBUG -Wall -Wextra -Wpedantic -Wconversion -Iruntime/include -Iruntime/src -I"$out/mt$n/gen" \
        -o "$out/mt$n/max_threads" bench/max_threads.c runtime/src/*.c runtime/src/prim/*.c "$out/mt$n/gen/memkit_config.c" -lpthread
    "$out/mt$n/max_threads"
done
