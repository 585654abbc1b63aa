#!/usr/bin/env bash
# tests/fuzz/build.sh [OUT_DIR] — generates tests/fuzz/fuzz.toml and builds
#   OUT_DIR/fuzz_ops     the libFuzzer binary (clang, ASan + UBSan), when clang's
#                        fuzzer runtime links
#   OUT_DIR/fuzz_replay  a plain replay driver (cc, no libFuzzer): runs the files
#                        and directories given on its command line
# Environment: CC (replay compiler, default cc), CLANG (default clang),
# PYTHON (default python3), FUZZ_CFLAGS (extra flags for both). Exits
# non-zero if the replay driver cannot be built.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/fuzz}
mkdir -p "$out"
out=$(cd "$out" && pwd)
py=${PYTHON:-python3}
"$py" "$root/generator/memkit-gen" "$root/tests/fuzz/fuzz.toml" -o "$out/gen" >/dev/null 2>"$out/gen.log" || {
  cat "$out/gen.log" >&2; exit 1; }
# shellcheck source=../../cmake/runtime_sources.sh
. "$root/cmake/runtime_sources.sh"
memkit_runtime_sources "$root"
srcs=("${memkit_srcs[@]}" "$out/gen/memkit_config.c" "$root/tests/fuzz/fuzz_ops.c")
incs=("${memkit_incs[@]}" -I"$out/gen")
# shellcheck disable=SC2206
extra=(${FUZZ_CFLAGS:-})
"${CC:-cc}" -g -O1 -std=c11 -DMK_FUZZ_REPLAY "${extra[@]}" "${incs[@]}" "${srcs[@]}" -o "$out/fuzz_replay" -lpthread
if "${CLANG:-clang}" -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
     "${extra[@]}" "${incs[@]}" "${srcs[@]}" -o "$out/fuzz_ops" -lpthread; then
  echo "built $out/fuzz_ops and $out/fuzz_replay"
else
  rm -f "$out/fuzz_ops"
  echo "clang with -fsanitize=fuzzer is not available: built $out/fuzz_replay only" >&2
fi
