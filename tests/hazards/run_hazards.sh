#!/usr/bin/env bash
# run_hazards.sh — the death-test runner of the hazard programs.
#
#   bash tests/hazards/run_hazards.sh BIN_DIR [SRC_DIR]
#
# For every SRC_DIR/*.c (default: this script's directory) it runs BIN_DIR/NAME
# (the program built from NAME.c against a sentinel runtime), reads the
# expectation on the source's first line ("expect: MLnnn abort" or
# "expect: MLnnn exit N") and checks that stderr names MLnnn and that the
# program died of SIGABRT or exited with status N. Prints one line per
# program, then "hazards: N passed, M failed" and "detected: D/T"; exits 1
# when any failed.
set -u
bin_dir=${1:?usage: run_hazards.sh BIN_DIR [SRC_DIR]}
src_dir=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
passed=0 failed=0 detected=0 total=0
for src in "$src_dir"/*.c; do
    name=$(basename "$src" .c)
    expect=$(head -n 1 "$src" | sed -n 's/.*expect: \(ML[0-9][0-9][0-9]\) \(abort\|exit [0-9]*\).*/\1 \2/p')
    if [ -z "$expect" ]; then
        echo "FAIL $name: no 'expect: MLnnn abort|exit N' on its first line"
        failed=$((failed + 1)); total=$((total + 1)); continue
    fi
    set -- $expect
    code=$1 outcome=$2 want=${3:-}
    total=$((total + 1))
    err=$("$bin_dir/$name" 2>&1 >/dev/null)
    status=$?
    found=no
    case "$err" in *"memkit: $code "*) found=yes; detected=$((detected + 1)) ;; esac
    ok=$found
    if [ "$outcome" = abort ]; then
        [ "$status" -eq 134 ] || ok=no # 128 + SIGABRT
        got="status $status"
    else
        [ "$status" -eq "$want" ] || ok=no
        got="exit $status"
    fi
    if [ "$ok" = yes ]; then
        passed=$((passed + 1)); echo "ok   $name: $code, $got"
    else
        failed=$((failed + 1)); echo "FAIL $name: expected $code and $outcome${want:+ $want}; got $got, code reported: $found"
        printf '%s\n' "$err" | head -n 5 | sed 's/^/     | /'
    fi
done
echo "hazards: $passed passed, $failed failed"
echo "detected: $detected/$total"
[ "$failed" -eq 0 ]
