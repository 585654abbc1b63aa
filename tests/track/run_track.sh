#!/usr/bin/env bash
# run_track.sh asan|valgrind DIR — runs the tracking death tests built in DIR.
# Each case program must be reported by the tool (non-zero exit and the
# tool's message on stderr); clean must run without a single report.
set -u
mode=$1
dir=$2
case $mode in
  asan) expect='use-after-poison'; run=() ;;
  valgrind) expect='Invalid write'; run=(valgrind -q --error-exitcode=99) ;;
  *) echo "usage: $0 asan|valgrind DIR"; exit 2 ;;
esac
passed=0
failed=0
for name in pool_overflow pool_use_after_free heap_overflow heap_use_after_free frame_use_after_reset; do
  out=$("${run[@]}" "$dir/track_$name" 2>&1)
  status=$?
  if [ $status -ne 0 ] && grep -q "$expect" <<<"$out"; then
    passed=$((passed + 1)); echo "ok: $name caught by $mode"
  else
    failed=$((failed + 1)); echo "FAIL: $name not caught by $mode (exit $status)"; echo "$out" | tail -5
  fi
done
out=$("${run[@]}" "$dir/track_clean" 2>&1)
status=$?
if [ $status -eq 0 ]; then
  passed=$((passed + 1)); echo "ok: clean run has no report under $mode"
else
  failed=$((failed + 1)); echo "FAIL: clean run reported under $mode (exit $status)"; echo "$out" | head -20
fi
echo "track_$mode: $passed passed, $failed failed"
[ $failed -eq 0 ]
