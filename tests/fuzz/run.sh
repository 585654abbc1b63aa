#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] — build the memkit fuzz harness into build/fuzz/,
# replay the committed seed corpus, then fuzz for SECONDS (default 60).
#
# The fuzzer works on a temporary copy of tests/fuzz/corpus, so a run never
# grows the committed corpus. On a failure the input is saved under
# build/fuzz/artifacts/ and its path printed; the script exits non-zero.
#
# Environment: FUZZ_CFLAGS (extra compile flags),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=4 -workers=4"), BUILD (default
# build), CC / CLANG / PYTHON (see build.sh). Without a libFuzzer-capable clang
# it only replays the corpus with the plain driver.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
out="$root/${BUILD:-build}/fuzz"
"$root/tests/fuzz/build.sh" "$out"

echo "== replay: tests/fuzz/corpus"
"$out/fuzz_replay" "$root/tests/fuzz/corpus"

if [ ! -x "$out/fuzz_ops" ]; then
  echo "no libFuzzer binary: corpus replayed, fuzzing skipped" >&2
  exit 0
fi
[ "$seconds" -gt 0 ] || exit 0

work=$(mktemp -d "${TMPDIR:-/tmp}/memkit-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$root"/tests/fuzz/corpus/* "$work/"
mkdir -p "$out/artifacts"
echo "== fuzz: ${seconds}s (working corpus $work)"
set +e
# shellcheck disable=SC2086
"$out/fuzz_ops" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" ${FUZZ_ARGS:-} "$work" 2>&1 | tee "$out/fuzz.log" | grep -Ev '^#[0-9]+.*(NEW|REDUCE) '
rc=${PIPESTATUS[0]}
set -e
grep -E '^#[0-9]+ .*cov: ' "$out/fuzz.log" | tail -1 || true
if [ "$rc" -ne 0 ]; then
  crash=$(grep -oE "Test unit written to [^ ]+" "$out/fuzz.log" | tail -1 | sed 's/Test unit written to //')
  echo "memkit fuzz: FAILED (libFuzzer exit $rc); input: ${crash:-see $out/fuzz.log}" >&2
  echo "reproduce: $out/fuzz_ops ${crash:-CRASH_FILE}" >&2
  exit 1
fi
echo "memkit fuzz: ${seconds}s without a failure"
