#!/usr/bin/env bash
# bench/run_override.sh — real programs on libmemkit_override (docs/override.md)
# vs glibc's malloc, mimalloc and jemalloc, each preloaded the same way.
#
#   bash bench/run_override.sh [RUNS]      (default 15 runs per row, after 2 warm-ups)
#
# Rows: glibc (nothing preloaded), memkit (the default config: no rules, no
# lookup), memkit+rules (tests/override/override.toml: module rules, so each
# call looks up its caller), mimalloc, jemalloc.
# Workloads: sqlite3 on bench/override/bench.sql (100k inserts, an index, joins,
# updates; in memory) and lua5.4 on tests/override/workload.lua with 200000
# items (tables, strings, closures, sort, gc). Each is timed as a whole
# process (start-up and exit included; rounds interleave the allocators, so
# a change of load hits them alike), with LD_PRELOAD set to the
# allocator's shared library ("glibc": none). Prints a markdown table:
# median, min and max wall time in ms and the median's ratio to glibc's.
# libmemkit_override is built from its default config
# (integrations/override/memkit_override.toml) into build/bench-override.
# Environment: PYTHON (a python3 with jinja2), MK_BENCH_NO_INSTALL=1 (no apt-get).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" build/bench-override
runs="${1:-15}"
bench_install_peers bench-override
for tool in sqlite3 lua5.4 cmake; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench-override: $tool is missing (Debian: apt-get install sqlite3 lua5.4 cmake)" >&2
        exit 1
    fi
done
py="${PYTHON:-/usr/bin/python3}"

# ---- build: release flags (tests on only for the C++ toolchain; their assertion level is undone)
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMEMKIT_PYTHON="$py" -DMEMKIT_BUILD_EXAMPLES=OFF \
      -DCMAKE_C_FLAGS=-UMK_ASSERT_LEVEL -DCMAKE_CXX_FLAGS=-UMK_ASSERT_LEVEL >/dev/null
cmake --build "$out" --target memkit_override memkit_override_test >&2
lib="$root/$out/integrations/override/libmemkit_override.so"
# the tests' config: [override] rules by module (libsqlite3.so*, <main>), so every call looks its caller up
lib_rules="$root/$out/integrations/override/tests/libmemkit_override_test.so"

libdir=/usr/lib/x86_64-linux-gnu
declare -A preload=([glibc]="" [memkit]="$lib" [memkit+rules]="$lib_rules" [mimalloc]="$libdir/libmimalloc.so.2"
                    [jemalloc]="$libdir/libjemalloc.so.2")
allocators=(glibc memkit memkit+rules mimalloc jemalloc)
declare -A workload=(
    [sqlite3]="sqlite3 :memory: < '$root/bench/override/bench.sql'"
    [lua5.4]="lua5.4 '$root/tests/override/workload.lua' 200000")

# the outputs must not depend on the allocator
for w in sqlite3 lua5.4; do
    want="$(bash -c "${workload[$w]}" | md5sum)"
    for a in "${allocators[@]}"; do
        if [ -n "${preload[$a]}" ] && [ ! -e "${preload[$a]}" ]; then
            continue
        fi
        got="$(LD_PRELOAD="${preload[$a]}" bash -c "${workload[$w]}" | md5sum)"
        [ "$got" = "$want" ] || { echo "bench-override: $w under $a prints something else" >&2; exit 1; }
    done
done

echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $(uname -sr)"
echo
echo "| workload | allocator | median ms | min ms | max ms | median vs glibc |"
echo "|---|---|---|---|---|---|"
rows=()
for a in "${allocators[@]}"; do
    if [ -n "${preload[$a]}" ] && [ ! -e "${preload[$a]}" ]; then
        echo "bench-override: ${preload[$a]} missing: $a skipped" >&2
        continue
    fi
    rows+=("$a=${preload[$a]}")
done
for w in sqlite3 lua5.4; do
    "$py" - "$runs" "$w" "${workload[$w]}" "${rows[@]}" <<'PY'
# Rounds interleave the allocators (each round runs every one once, in an
# order that rotates), so a change of the machine's load hits all of them alike.
import os, statistics, subprocess, sys, time
runs, name, command = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = [r.split("=", 1) for r in sys.argv[4:]]
times = {a: [] for a, _ in rows}

def once(lib):
    env = dict(os.environ, LD_PRELOAD=lib) if lib else {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    t = time.perf_counter()
    subprocess.run(["bash", "-c", "exec " + command], env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t

for a, lib in rows:  # warm-ups: the page cache, the libraries
    once(lib), once(lib)
for r in range(runs):
    for a, lib in rows[r % len(rows):] + rows[:r % len(rows)]:
        times[a].append(once(lib))
base = statistics.median(times["glibc"]) if times.get("glibc") else None
for a, _ in rows:
    t = times[a]
    ratio = f"{statistics.median(t) / base:.2f}" if base else "-"
    print(f"| {name} | {a} | {statistics.median(t) * 1e3:.1f} | {min(t) * 1e3:.1f} | {max(t) * 1e3:.1f} | {ratio} |")
PY
done
echo
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
