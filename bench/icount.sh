#!/usr/bin/env bash
# bench/icount.sh — instructions per operation of memkit's fast paths, counted
# by callgrind (deterministic: no timer, no noise). See bench/icount.c.
#
#   bash bench/icount.sh [out.txt]    prints "operation instructions" lines
#
# Environment: PYTHON (a python3 with jinja2), CC (default gcc), ICOUNT_OUT
# (build folder, default build/icount).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${ICOUNT_OUT:-build/icount}"
mkdir -p "$out"
CC="${CC:-gcc}"
py="${PYTHON:-python3}"
command -v valgrind >/dev/null 2>&1 || { echo "icount: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }

"$py" generator/memkit-gen bench/memkit_bench.toml -o "$out/gen" >/dev/null 2>&1
# shellcheck source=../cmake/runtime_sources.sh
. cmake/runtime_sources.sh
memkit_runtime_sources .
"$CC" -O2 -std=c11 -DNDEBUG -Wall -Wextra -Wpedantic -Wconversion -Werror "${memkit_incs[@]}" -I"$out/gen" \
    -o "$out/icount" bench/icount.c "${memkit_srcs[@]}" "$out/gen/memkit_config.c" -lpthread
valgrind --tool=callgrind --toggle-collect='ic_*' --callgrind-out-file="$out/callgrind.out" "$out/icount" \
    >/dev/null 2>"$out/valgrind.log"

# Inclusive instructions of each ic_* function, divided by its operations.
callgrind_annotate --inclusive=yes --threshold=100 "$out/callgrind.out" 2>/dev/null | awk '
    BEGIN {
        ops["ic_frame_alloc_64"] = 1000;       name["ic_frame_alloc_64"] = "frame_alloc_64";
        ops["ic_pool_alloc_64"] = 16;          name["ic_pool_alloc_64"] = "pool_alloc_64";
        ops["ic_pool_free_64"] = 16;           name["ic_pool_free_64"] = "pool_free_64";
        ops["ic_pool_pair_64"] = 1000;         name["ic_pool_pair_64"] = "pool_pair_64";
        ops["ic_pool_pair_budgeted_64"] = 1000; name["ic_pool_pair_budgeted_64"] = "pool_pair_budgeted_64";
        ops["ic_pool_batch_1024"] = 1024;      name["ic_pool_batch_1024"] = "pool_batch_pair_64";
        ops["ic_usable_size"] = 1000;          name["ic_usable_size"] = "usable_size";
        ops["ic_heap_pair_1k"] = 1000;         name["ic_heap_pair_1k"] = "heap_pair_1k";
    }
    {
        gsub(",", "", $1)
        for (f in ops) if (index($0, ":" f " ") > 0 || $NF ~ (":" f "$")) { printf "%s %.1f\n", name[f], $1 / ops[f]; delete ops[f] }
    }' | sort > "$out/icount.txt"
cat "$out/icount.txt"
[ -z "${1:-}" ] || cp "$out/icount.txt" "$1"
