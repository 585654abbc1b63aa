#!/usr/bin/env bash
# bench/run_integrations.sh — the library adapters' benches (issue 13): each
# bench/integrations/bench_<lib>.c* runs its library's workload with the
# library's allocator hook on memkit, glibc, mimalloc and jemalloc, in the
# same run (bench/integrations/bench_hooks.h), and prints ROW lines; this
# script builds them with CMake (MEMKIT_BUILD_BENCH; integrations/CMakeLists.txt
# finds the libraries), runs them and prints a markdown table with each
# median's ratio to glibc's (below 1: faster than glibc).
#
#   bash bench/run_integrations.sh [ROUNDS]     (default 11 rounds per allocator)
#
# Environment: PYTHON (a python3 with jinja2), MK_BENCH_NO_INSTALL=1 to never
# call apt-get, MK_BENCH_SKIP="jemalloc" (allocators left out), MK_BENCH_PASSES
# (default 3: the rounds are split into passes in which the allocators take
# turns, so a change in load does not land on one of them).
# Build outputs go to build/bench-integrations/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench-integrations
rounds="${1:-11}"

# The benches, one line each: a CMake target built from bench/integrations/<target>.c*.
benches=()
benches+=(bench_lua)
benches+=(bench_sqlite)
benches+=(bench_libuv)
benches+=(bench_zlib)
benches+=(bench_sdl2)
benches+=(bench_bullet)
benches+=(bench_imgui)

bench_install_peers bench-integrations
bench_find_python bench-integrations
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMEMKIT_BUILD_BENCH=ON -DMEMKIT_BUILD_TESTS=OFF \
  -DMEMKIT_BUILD_EXAMPLES=OFF -DMEMKIT_PYTHON="$py" >"$out/configure.log" 2>&1 ||
  { cat "$out/configure.log" >&2; exit 1; }
grep "memkit integrations:" "$out/configure.log" >&2 || true

# jemalloc's TLS block is in the static TLS model: give dlopen room (bench_run does the same)
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.rtld.optional_static_tls=65536"
rows="$out/rows.tsv"
: >"$rows"
status=0
for b in "${benches[@]}"; do
    if ! cmake --build "$out" --target "$b" >"$out/$b.build.log" 2>&1; then
        echo "$b: not built (its library missing? see $out/$b.build.log and $out/configure.log): skipped" >&2
        continue
    fi
    bin=$(find "$out" -type f -name "$b" -perm -u+x | head -1)
    echo "running $b ($rounds rounds per allocator)" >&2
    "$bin" "$rounds" | tee -a "$rows" >&2 || status=1
done

echo "command: bash bench/run_integrations.sh $rounds"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(${CC} --version | head -1), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| library | workload | allocator | median ms | min–max ms | vs glibc |"
echo "|---|---|---|---:|---:|---:|"
awk -F'\t' '
    $1 == "ROW" { n++; lib[n] = $2; work[n] = $3; alloc[n] = $4; med[n] = $5; lo[n] = $6; hi[n] = $7
                  if ($4 == "glibc") base[$2] = $5 }
    END {
        for (i = 1; i <= n; i++) {
            ratio = (lib[i] in base) && base[lib[i]] > 0 ? sprintf("%.2f", med[i] / base[lib[i]]) : "–"
            printf "| %s | %s | %s | %.2f | %.2f–%.2f | %s |\n", lib[i], work[i], alloc[i], med[i] / 1e6,
                   lo[i] / 1e6, hi[i] / 1e6, ratio
        }
    }' "$rows"
exit $status
