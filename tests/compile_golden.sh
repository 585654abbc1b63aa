#!/usr/bin/env bash
# compile_golden.sh — every golden case's generated sources, with the whole
# runtime, compile warning-free as C11 under gcc and clang with -Werror, link,
# and run tests/golden_smoke.c; and the runtime links without gpu/src.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../cmake/runtime_sources.sh
. "$root/cmake/runtime_sources.sh"
memkit_runtime_sources "$root"
out=${1:-$(mktemp -d)}
mkdir -p "$out"
flags=(-std=c11 -O1 -Wall -Wextra -Wpedantic -Wconversion -Werror)
status=0
for case_dir in "$root"/tests/golden/*/; do
  case_name=$(basename "$case_dir")
  for cc in gcc clang; do
    exe="$out/${case_name}_$cc"
    if ! "$cc" "${flags[@]}" "${memkit_incs[@]}" -I"$case_dir" "${memkit_srcs[@]}" "$case_dir/memkit_config.c" \
        "$root/tests/golden_smoke.c" -o "$exe" -lpthread; then
      echo "FAIL: $case_name does not compile with $cc"; status=1; continue
    fi
    if ! "$exe"; then
      echo "FAIL: $case_name built with $cc does not run"; status=1; continue
    fi
    echo "ok: $case_name ($cc)"
  done
done
# The GPU tier depends on the runtime, never the reverse: without gpu/src the
# runtime still links (it reaches the tier only through hooks mk_gpu_init sets).
no_gpu=()
for f in "${memkit_srcs[@]}"; do
  case "$f" in "$root"/gpu/*) ;; *) no_gpu+=("$f") ;; esac
done
if gcc "${flags[@]}" "${memkit_incs[@]}" -I"$root/tests/golden/basic" "${no_gpu[@]}" \
    "$root/tests/golden/basic/memkit_config.c" "$root/tests/golden_smoke.c" -o "$out/basic_no_gpu" -lpthread &&
    "$out/basic_no_gpu"; then
  echo "ok: the runtime links and runs without gpu/src"
else
  echo "FAIL: the runtime needs gpu/src to link"; status=1
fi
exit $status
