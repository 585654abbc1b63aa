#!/usr/bin/env bash
# tests/gpu/run_fuzz.sh [SECONDS] — builds the GPU sub-allocator fuzzer
# (tests/gpu/fuzz_suballoc.c) into build/gpu-fuzz/ and fuzzes for SECONDS
# (default 120):
#   build/gpu-fuzz/fuzz_suballoc         libFuzzer + ASan + UBSan (clang)
#   build/gpu-fuzz/fuzz_suballoc_replay  the replay / seeded driver (cc)
# The corpus grows in build/gpu-fuzz/corpus (not committed: ctest's seeded
# programs are the regression suite). A failing input lands in
# build/gpu-fuzz/artifacts/ and the script exits non-zero.
# Environment: FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=8 -workers=8"),
# BUILD (default build), CC (default cc), CLANG (default clang).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-120}
out="$root/${BUILD:-build}/gpu-fuzz"
mkdir -p "$out/corpus" "$out/artifacts"
srcs=("$root/tests/gpu/fuzz_suballoc.c" "$root/gpu/src/tlsf.c" "$root/gpu/src/linear_ring.c")
flags=(-g -O1 -std=c11 -DMK__GPU_STANDALONE -I"$root/gpu/src" -I"$root/runtime/src")

"${CC:-cc}" "${flags[@]}" -DMK_FUZZ_REPLAY "${srcs[@]}" -o "$out/fuzz_suballoc_replay"
if ! "${CLANG:-clang}" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
     "${srcs[@]}" -o "$out/fuzz_suballoc"; then
  echo "clang with -fsanitize=fuzzer is not available (Debian: libclang-rt-14-dev): seeded programs only" >&2
  "$out/fuzz_suballoc_replay"
  exit 0
fi

echo "== fuzz: ${seconds}s (corpus $out/corpus)"
set +e
# shellcheck disable=SC2086
"$out/fuzz_suballoc" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" ${FUZZ_ARGS:-} "$out/corpus" 2>&1 |
  tee "$out/fuzz.log" | grep -Ev '^#[0-9]+.*(NEW|REDUCE|pulse) '
rc=${PIPESTATUS[0]}
set -e
grep -E '^#[0-9]+ .*cov: ' "$out/fuzz.log" | tail -1 || true
if [ "$rc" -ne 0 ]; then
  crash=$(grep -oE "Test unit written to [^ ]+" "$out/fuzz.log" | tail -1 | sed 's/Test unit written to //')
  echo "gpu suballoc fuzz: FAILED (libFuzzer exit $rc); input: ${crash:-see $out/fuzz.log}" >&2
  echo "reproduce: $out/fuzz_suballoc ${crash:-CRASH_FILE}  (or $out/fuzz_suballoc_replay under gdb)" >&2
  exit 1
fi
echo "gpu suballoc fuzz: ${seconds}s without a failure"
